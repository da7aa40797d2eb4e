"""Buttons on answers and cards that run a command (Open 360, Mark follow-up done, choices).

The button's value is the command it stands for; its answer replaces nothing and is shown
to the person who clicked, as a slash command's would be (in a direct message when the
button was on the App Home, which has no response_url). A choice or confirmation is bound to
the user it was offered to: anyone else who clicks it is told so, and nothing runs. The
command goes through commands.dispatch, which checks the clicker's role before any work.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.askers import interaction_asker
from bot.identity import slack_actor
from bot.listeners import answering
from bot.slack_ids import action_ids
from commands.registry import without_confirm_word
from reports.action_ids import RUN_COMMAND
from reports.button_values import read_button_value
from reports.refusals import offered_to_someone_else

if TYPE_CHECKING:
    from bot.app import BotContext


def register(app: App, context: BotContext) -> None:
    @app.action(action_ids(RUN_COMMAND))
    def run_command(
        ack: Ack, body: dict, action: dict, respond: Respond, client: WebClient
    ) -> None:
        ack()
        clicked = read_button_value(action["value"])
        user_id = body["user"]["id"]
        if not clicked.is_for(user_id):
            _tell(client, respond, body, user_id, offered_to_someone_else(
                clicked.offered_to, clicked.command
            ))  # fmt: skip
            return
        actor = slack_actor(context.backend.settings, context.users, interaction_asker(body))
        # A button bound to no one (Open 360, Mark done; or one posted before buttons were
        # bound) never skips a step: its command runs without a confirm word.
        command = clicked.command if clicked.offered_to else without_confirm_word(clicked.command)
        answer = answering.answer(context, command, actor)
        answering.deliver_export(client, answer, actor)
        if not body.get("response_url"):  # a button on the App Home: answer in a DM
            client.chat_postMessage(channel=actor.user_id, **answering.message(answer, actor))
            return
        respond(
            **answering.message(answer, actor),
            response_type=answering.visibility(answer),
            replace_original=False,
        )


def _tell(client: WebClient, respond: Respond, body: dict, user_id: str, text: str) -> None:
    """A word for the clicker alone: ephemeral under the message, or a DM from the App Home."""
    if body.get("response_url"):
        respond(text=text, response_type="ephemeral", replace_original=False)
    else:
        client.chat_postMessage(channel=user_id, text=text)
