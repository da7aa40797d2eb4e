"""The names the Slack app and its listeners share: callback ids, action ids, events, scopes.

The manifest (bot.manifest) is built from these, so what Slack is told to send is what the
listeners listen for.
"""

from __future__ import annotations

import re

# Shortcuts: "Log to CRM" on a message, "Log interaction" from the shortcuts menu.
LOG_MESSAGE_SHORTCUT = "crm_log_message"
LOG_GLOBAL_SHORTCUT = "crm_log_interaction"
# Events the bot subscribes to, each handled by a listener (tests/test_bot_events.py checks both
# ways). The uninstall events need no scope; user_change needs users:read.
BOT_EVENTS = (
    "app_mention",  # @crm in channels
    "message.im",  # direct messages to the bot
    "app_home_opened",  # the App Home tab
    "app_uninstalled",  # forget the workspace's token, stop its alerts
    "tokens_revoked",  # ... the same when its bot token is revoked
    "user_change",  # a user's role or guest status changed: drop the cached role
)
# Bot token scopes, each for something the bot does (README: "Scopes the app asks for").
BOT_SCOPES = (
    "commands",  # the slash command and shortcuts
    "chat:write",  # answers, threads, alerts, DMs
    "app_mentions:read",  # @crm in channels
    "im:history",  # direct messages to the bot
    "im:write",  # conversations.open: an export goes to the asker in a DM
    "users:read",  # a user's time zone, guest status and team; user_change events
    "files:write",  # charts, exports
    "channels:read",  # alerts: is the bot in the channel a digest goes to
    "groups:read",  # ... a private one
)
# Only with alerts.check_history_after_timeout: after a post whose answer was lost, read the
# channel for that digest before posting it again. These scopes read every message of every
# channel the bot is in, so they are asked for only when a team opts in.
HISTORY_SCOPES = (
    "channels:history",  # conversations.history in a public channel
    "groups:history",  # ... in a private one
)


def bot_scopes(*, check_history: bool) -> tuple[str, ...]:
    """The bot scopes to ask for: the history ones only when the history check is on."""
    return BOT_SCOPES + HISTORY_SCOPES if check_history else BOT_SCOPES


# Where Slack sends everything in HTTP mode, relative to the public base URL.
EVENTS_PATH = "/slack/events"
# The OAuth install (multi-workspace mode): the "Add to Slack" link and Slack's redirect.
INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"


def action_ids(prefix: str) -> re.Pattern:
    """The action ids of buttons made with `prefix` (reports numbers them `prefix:N`)."""
    return re.compile(rf"^{re.escape(prefix)}(:|$)")
