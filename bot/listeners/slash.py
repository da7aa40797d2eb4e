"""`/crm <text>`: acknowledged within Slack's 3 seconds, answered in the ack when it is quick.

A quick answer goes back in the acknowledgement, visible to the asker only unless they
wrote `share`; a slow one (a refresh, a busy database) is acknowledged with "working on it"
and answered through the command's response_url when ready.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from slack_bolt import Ack, App, Respond

from bot.identity import slack_actor
from bot.listeners import answering

if TYPE_CHECKING:
    from bot.app import BotContext

logger = logging.getLogger(__name__)
WORKING = "Working on it… the answer will appear here."


def register(app: App, context: BotContext, command_name: str) -> None:
    @app.command(command_name)
    def crm_command(ack: Ack, command: dict, respond: Respond) -> None:
        actor = slack_actor(
            context.backend.settings,
            context.zones,
            team_id=command["team_id"],
            user_id=command["user_id"],
        )
        text = command.get("text", "").strip() or "help"
        future = answering.start(context, text, actor)
        answer = answering.ready(future)
        if answer is not None:
            ack(**answering.message(answer, actor), response_type=_visibility(answer))
            return
        ack(text=WORKING, response_type="ephemeral")
        answer = future.result()
        respond(
            **answering.message(answer, actor),
            response_type=_visibility(answer),
            replace_original=False,
        )


def _visibility(answer) -> str:
    return "in_channel" if answer.share else "ephemeral"
