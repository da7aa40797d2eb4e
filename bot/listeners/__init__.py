"""Bolt listeners, one module per way Slack reaches the bot; each has `register(app, context)`."""
