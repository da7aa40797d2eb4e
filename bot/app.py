"""The Bolt app: built from settings, a Web API client and a signing secret; listeners attached.

Listeners stay thin: they gather who asks and what, call `commands.dispatch`, render with
`reports`, and send. Everything they share lives in one `BotContext`.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from slack_bolt import App
from slack_sdk import WebClient

from bot.alert_runner import AlertRunner
from bot.identity import SlackUsers
from bot.listener_errors import on_unhandled_error
from bot.listeners import (
    alert_buttons,
    buttons,
    home,
    log_modal,
    mentions,
    profiles,
    slash,
    uninstall,
)
from bot.slack_ids import bot_scopes
from bot.slack_side import BotSlackSide
from bot.workspaces import Workspaces, multi_workspace, oauth_settings
from commands import Backend
from crm_core import db
from crm_core.settings import Settings

LISTENER_THREADS = 32


@dataclass
class BotContext:
    """What every listener needs: the backend, Slack users' profiles, and threads for slow
    answers."""

    backend: Backend
    users: SlackUsers
    # Commands run here so a slow one can be answered later while Slack gets its ack in time.
    workers: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(8, thread_name_prefix="crm-command")
    )


def build_app(
    settings: Settings,
    *,
    client: WebClient,
    signing_secret: str | None = None,
    socket_mode: bool = False,
) -> App:
    """The Slack app for these settings; the signing secret defaults to SLACK_SIGNING_SECRET.

    Over HTTP every request must be signed; Socket Mode's arrive over a connection the app
    opened itself with its app-level token, so there is nothing to verify.
    """
    secret = signing_secret or os.environ.get("SLACK_SIGNING_SECRET")
    if not secret and not socket_mode:
        raise RuntimeError(
            "SLACK_SIGNING_SECRET is not set: copy it from your Slack app's Basic Information page"
        )
    engine = db.engine_for(settings)
    # Many workspaces (OAuth install, tokens in the database) or one (SLACK_BOT_TOKEN).
    scopes = bot_scopes(check_history=settings.alerts.check_history_after_timeout)
    oauth = oauth_settings(engine, scopes) if multi_workspace() and not socket_mode else None
    app = App(
        client=client,
        signing_secret=secret,
        oauth_settings=oauth,
        request_verification_enabled=not socket_mode,
        process_before_response=False,
        # Bolt's default of 5 threads queues listeners past Slack's 3 s under load; a listener
        # waits for its command on BotContext.workers, so these threads mostly sleep.
        listener_executor=ThreadPoolExecutor(LISTENER_THREADS, thread_name_prefix="crm-listener"),
    )
    served = Workspaces(client, oauth.installation_store if oauth else None)
    slack = BotSlackSide(served, AlertRunner(engine, settings, served))
    context = BotContext(
        backend=Backend(engine, settings, slack),
        users=SlackUsers(served, settings.default_timezone),
    )
    # Both modes: with one SLACK_BOT_TOKEN there is no token to forget, but alerts must stop.
    uninstall.register(app, context, oauth.installation_store if oauth else None)
    slash.register(app, context, settings.slack.command)
    mentions.register(app, context)
    buttons.register(app, context)
    alert_buttons.register(app, context)
    home.register(app, context)
    log_modal.register(app, context)
    profiles.register(app, context)
    app.error(on_unhandled_error)  # a short answer and a log line, never a 500
    return app
