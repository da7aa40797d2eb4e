"""The CRM domain: tables, services, analytics and import, shared by every front end.

Nothing here knows of Slack, templates or the chat grammar; everything returned is plain data.
"""
