"""What commands may ask of Slack (commands.actor.SlackSide), answered by the bot."""

from __future__ import annotations

import os
from datetime import datetime

from slack_sdk.errors import SlackApiError
from sqlalchemy import Engine

from bot.alert_runner import AlertRunner
from bot.workspaces import Workspaces, workspaces
from commands.actor import Channel
from crm_core.settings import Settings


class BotSlackSide:
    def __init__(self, workspaces: Workspaces, runner: AlertRunner) -> None:
        self._workspaces, self._runner = workspaces, runner

    def channel(self, team_id: str, channel_id: str) -> Channel | None:
        client = self._workspaces.client_for(team_id)
        if client is None:
            return None
        try:
            found = client.conversations_info(channel=channel_id)["channel"]
        except SlackApiError as exc:
            if exc.response.get("error") in ("channel_not_found", "missing_scope"):
                return None
            raise
        return Channel(
            found["id"],
            found.get("name"),
            bool(found.get("is_member")),
            is_ext_shared=bool(found.get("is_ext_shared")),
        )

    def post_alert_now(self, subscription_id: int, now: datetime) -> str:
        return self._runner.post_now(subscription_id, now)


def console_slack_side(engine: Engine, settings: Settings) -> BotSlackSide | None:
    """Slack as the console reaches it (the `crm.slack` entry point): with SLACK_BOT_TOKEN,
    `alerts subscribe` checks the channel and `alerts test` posts, as from Slack."""
    if not os.environ.get("SLACK_BOT_TOKEN"):
        return None
    from bot.client import web_client

    served = workspaces(web_client(), engine)
    return BotSlackSide(served, AlertRunner(engine, settings, served))
