"""Buttons on answers and cards that run a command (Open 360, Mark follow-up done, choices).

The button's value is the command it stands for; its answer replaces nothing and is shown
to the person who clicked, as a slash command's would be (in a direct message when the
button was on the App Home, which has no response_url).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.identity import slack_actor, team_of
from bot.listeners import answering
from bot.slack_ids import action_ids
from reports.action_ids import RUN_COMMAND

if TYPE_CHECKING:
    from bot.app import BotContext


def register(app: App, context: BotContext) -> None:
    @app.action(action_ids(RUN_COMMAND))
    def run_command(
        ack: Ack, body: dict, action: dict, respond: Respond, client: WebClient
    ) -> None:
        ack()
        actor = slack_actor(
            context.backend.settings,
            context.users,
            team_id=team_of(body),
            user_id=body["user"]["id"],
        )
        answer = answering.answer(context, action["value"], actor)
        answering.deliver_export(client, answer, actor)
        if not body.get("response_url"):  # a button on the App Home: answer in a DM
            client.chat_postMessage(channel=actor.user_id, **answering.message(answer, actor))
            return
        respond(
            **answering.message(answer, actor),
            response_type=answering.visibility(answer),
            replace_original=False,
        )
