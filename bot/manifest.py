"""The Slack app manifest, built from app.yaml and the names in bot.slack_ids.

Pasting it into "Create an app > From a manifest" gives an app whose slash command, shortcuts,
events and scopes are exactly the ones the listeners handle and the code's Web API calls need
(the history scopes only when app.yaml turns alerts.check_history_after_timeout on). In HTTP
mode every request goes to one public URL (the base URL plus EVENTS_PATH); in Socket Mode
Slack needs no URL at all.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import yaml

from bot.slack_ids import (
    BOT_EVENTS,
    EVENTS_PATH,
    LOG_GLOBAL_SHORTCUT,
    LOG_MESSAGE_SHORTCUT,
    REDIRECT_PATH,
    bot_scopes,
)
from crm_core.settings import Settings

APP_NAME = "CRM"
APP_DESCRIPTION = (
    "Log calls in a few words, see customer 360 cards, follow-ups, CLV, churn, retention and NPS."
)


def build_manifest(
    settings: Settings, *, public_url: str | None, socket_mode: bool
) -> dict[str, Any]:
    """Slack's app manifest (v1) for this CRM: Socket Mode without URLs, or HTTP at public_url.

    Raises ValueError in HTTP mode when public_url is missing or not an http(s) URL.
    """
    request_url = None if socket_mode else _request_url(public_url)
    scopes = bot_scopes(check_history=settings.alerts.check_history_after_timeout)
    oauth_config: dict[str, Any] = {"scopes": {"bot": list(scopes)}}
    if request_url:  # the OAuth install for many workspaces comes back here
        oauth_config["redirect_urls"] = [request_url.removesuffix(EVENTS_PATH) + REDIRECT_PATH]
    slash_command: dict[str, Any] = {
        "command": settings.slack.command,
        "description": "Log interactions, look up customers and ask for CRM analytics",
        "usage_hint": "log call with Acme: renewal talk, follow up next tue | customer Acme | help",
        "should_escape": False,
    }
    event_subscriptions: dict[str, Any] = {"bot_events": list(BOT_EVENTS)}
    interactivity: dict[str, Any] = {"is_enabled": True}
    if request_url:
        slash_command["url"] = request_url
        event_subscriptions["request_url"] = request_url
        interactivity["request_url"] = request_url
        interactivity["message_menu_options_url"] = request_url
    return {
        "_metadata": {"major_version": 1, "minor_version": 1},
        "display_information": {"name": APP_NAME, "description": APP_DESCRIPTION},
        "features": {
            "bot_user": {"display_name": APP_NAME, "always_online": True},
            # The messages tab, writable, is what lets people DM the bot.
            "app_home": {
                "home_tab_enabled": True,
                "messages_tab_enabled": True,
                "messages_tab_read_only_enabled": False,
            },
            "slash_commands": [slash_command],
            "shortcuts": [
                {
                    "name": "Log to CRM",
                    "type": "message",
                    "callback_id": LOG_MESSAGE_SHORTCUT,
                    "description": "Log this message as a call, meeting, email or note",
                },
                {
                    "name": "Log interaction",
                    "type": "global",
                    "callback_id": LOG_GLOBAL_SHORTCUT,
                    "description": "Log a call, meeting, email or note with a customer",
                },
            ],
        },
        "oauth_config": oauth_config,
        "settings": {
            "event_subscriptions": event_subscriptions,
            "interactivity": interactivity,
            "org_deploy_enabled": False,
            "socket_mode_enabled": socket_mode,
            "token_rotation_enabled": False,
        },
    }


def manifest_yaml(manifest: dict[str, Any]) -> str:
    """The manifest as YAML, keys in the order Slack's own examples use."""
    return yaml.safe_dump(manifest, sort_keys=False, allow_unicode=True, width=1000)


def _request_url(public_url: str | None) -> str:
    if not public_url:
        raise ValueError(
            "HTTP mode needs the public URL Slack will send requests to: pass "
            "--url https://your-host (or use Socket Mode: set SLACK_APP_TOKEN or pass "
            "--socket-mode)"
        )
    parts = urlsplit(public_url)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise ValueError(
            f"--url must be the app's public base URL such as https://your-host, got {public_url!r}"
        )
    return public_url.rstrip("/") + EVENTS_PATH
