"""`/crm <text>`: acknowledged within Slack's 3 seconds, answered in the ack when it is quick.

A quick answer goes back in the acknowledgement, visible to the asker only unless they
wrote `share`; a slow one (a refresh, a busy database) is acknowledged with "working on it"
and answered through the command's response_url when ready. `... chart` adds the answer's
chart, uploaded to the channel after the answer; in a channel shared with another
organisation (Slack Connect), to the asker's direct message unless the answer was shared.
"""

from __future__ import annotations

import logging
from functools import partial
from typing import TYPE_CHECKING

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.askers import command_asker
from bot.identity import slack_actor
from bot.listeners import answering
from reports.charts import CHARTS

if TYPE_CHECKING:
    from bot.app import BotContext

logger = logging.getLogger(__name__)
WORKING = "Working on it… the answer will appear here."
NO_CHART = f"That answer has no chart; charts come with {CHARTS} (e.g. `nps chart`)."


def register(app: App, context: BotContext, command_name: str) -> None:
    @app.command(command_name)
    def crm_command(ack: Ack, command: dict, respond: Respond, client: WebClient) -> None:
        text, chart = answering.chart_asked(command.get("text", "").strip() or "help")
        asker = partial(
            slack_actor,
            context.backend.settings,
            context.users,
            command_asker(command),
            wants_chart=chart,
            channel_id=command.get("channel_id"),
        )
        future = answering.start(context, text, asker)
        answered = answering.ready(future)
        if answered is not None:
            ack(
                **answering.message(answered.answer, answered.actor),
                response_type=answering.visibility(answered.answer),
            )
        else:
            ack(text=WORKING, response_type="ephemeral")
            answered = future.result()
            respond(
                **answering.message(answered.answer, answered.actor),
                response_type=answering.visibility(answered.answer),
                replace_original=False,
            )
        answering.deliver_export(client, answered.answer, answered.actor)
        if chart and not answering.upload_chart(
            client, answered.answer, channel=_chart_channel(context, client, command, answered)
        ):
            respond(text=NO_CHART, response_type="ephemeral", replace_original=False)


def _chart_channel(
    context: BotContext, client: WebClient, command: dict, answered: answering.Answered
) -> str:
    """Where the chart goes: the channel, or the asker's direct message when the channel is
    shared with another organisation and the answer was for the asker alone."""
    channel = command["channel_id"]
    if answered.answer.share or not answering.shared_outside(context, command["team_id"], channel):
        return channel
    return answering.direct_channel(client, answered.actor.user_id)
