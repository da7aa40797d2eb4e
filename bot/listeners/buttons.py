"""Buttons on answers and cards that run a command (Open 360, Mark follow-up done, choices).

The button's value is the command it stands for; its answer replaces nothing and is shown
to the person who clicked, as a slash command's would be.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from slack_bolt import Ack, App, Respond

from bot.identity import slack_actor
from bot.listeners import answering
from reports.chat import RUN_COMMAND

if TYPE_CHECKING:
    from bot.app import BotContext


def register(app: App, context: BotContext) -> None:
    @app.action(re.compile(rf"^{RUN_COMMAND}"))
    def run_command(ack: Ack, body: dict, action: dict, respond: Respond) -> None:
        ack()
        actor = slack_actor(
            context.backend.settings,
            context.zones,
            team_id=body["team"]["id"] if body.get("team") else body["user"]["team_id"],
            user_id=body["user"]["id"],
        )
        answer = answering.start(context, action["value"], actor).result()
        respond(
            **answering.message(answer, actor),
            response_type="in_channel" if answer.share else "ephemeral",
            replace_original=False,
        )
