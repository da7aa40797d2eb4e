"""The names the Slack app and its listeners share: callback ids, action ids, events, scopes.

The manifest (bot.manifest) is built from these, so what Slack is told to send is what the
listeners listen for.
"""

from __future__ import annotations

import re

# Shortcuts: "Log to CRM" on a message, "Log interaction" from the shortcuts menu.
LOG_MESSAGE_SHORTCUT = "crm_log_message"
LOG_GLOBAL_SHORTCUT = "crm_log_interaction"
# Events the bot subscribes to.
BOT_EVENTS = ("app_mention", "message.im", "app_home_opened")
# Bot token scopes, each for something the bot does.
BOT_SCOPES = (
    "commands",  # the slash command and shortcuts
    "chat:write",  # answers, threads, alerts
    "app_mentions:read",  # @crm in channels
    "im:history",  # direct messages to the bot
    "users:read",  # a user's time zone
    "files:write",  # charts
    "channels:read",  # alerts: is the bot in the channel a digest goes to
    "groups:read",  # ... a private one
    "channels:history",  # alerts: find a digest already posted before posting it again
    "groups:history",  # ... in a private channel
)
# Where Slack sends everything in HTTP mode, relative to the public base URL.
EVENTS_PATH = "/slack/events"
# The OAuth install (multi-workspace mode): the "Add to Slack" link and Slack's redirect.
INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"


def action_ids(prefix: str) -> re.Pattern:
    """The action ids of buttons made with `prefix` (reports numbers them `prefix:N`)."""
    return re.compile(rf"^{re.escape(prefix)}(:|$)")
