"""The chat language shared by Slack and the `crm` console: parse text, run it, return a result.

Front ends build an Actor (who asks) and a Backend (database and settings) and call
`dispatch(text, actor, backend)`; reports/ renders the Answer.
"""

from commands.actor import Actor, Backend
from commands.dispatch import dispatch

__all__ = ["Actor", "Backend", "dispatch"]
