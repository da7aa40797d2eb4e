"""The chat language shared by Slack and the `crm` console: parse text, run it, return a result."""
