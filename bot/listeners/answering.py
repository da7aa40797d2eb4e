"""Running a line of chat for a Slack user and turning the answer into a Slack message."""

from __future__ import annotations

import re
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from slack_sdk import WebClient

from commands import Actor, dispatch
from commands.results import Answer, ExportReady
from commands.text_limit import too_long
from reports.charts import render_chart
from reports.chat import render_message

if TYPE_CHECKING:
    from bot.app import BotContext


@dataclass(frozen=True)
class Answered:
    """An answer and the actor it was given to (whose time zone shows it)."""

    answer: Answer
    actor: Actor


# Slack wants an acknowledgement within 3 s; an answer not ready by then follows it.
ANSWER_IN_ACK_SECONDS = 1.5
# "nps chart", "retention cohorts as a chart": the answer comes with its chart as a PNG.
# A run of spaces is entered at its first space only (look-behind), so it is read once.
_CHART = re.compile(r"(?<!\s)\s+(?:as\s+a\s+)?chart\s*$", re.I)


def chart_asked(text: str) -> tuple[str, bool]:
    """The text without a trailing "chart", and whether it was there (text over the limit
    is left whole, for the dispatcher to refuse)."""
    if too_long(text):
        return text, False
    cleaned = _CHART.sub("", text)
    return cleaned, cleaned != text


def answer(context: BotContext, text: str, actor: Actor) -> Answer:
    """Run the line now, on this listener's thread (Slack has had its acknowledgement)."""
    return dispatch(text, actor, context.backend)


def start(context: BotContext, text: str, actor: Callable[[], Actor]) -> Future[Answered]:
    """Run the line on a worker thread, so the listener can acknowledge Slack in time.

    The actor is built there too: finding the user's time zone may ask Slack (users.info),
    which must not eat into the 3 seconds.
    """

    def run() -> Answered:
        asker = actor()
        return Answered(dispatch(text, asker, context.backend), asker)

    return context.workers.submit(run)


def ready(future: Future[Answered]) -> Answered | None:
    """The answer if it comes within the acknowledgement window, else None."""
    try:
        return future.result(timeout=ANSWER_IN_ACK_SECONDS)
    except FutureTimeout:
        return None


def message(answer: Answer, actor: Actor) -> dict[str, Any]:
    """The Slack message for an answer (text fallback and blocks); its choices act for the
    actor only."""
    return render_message(answer, actor.tz, offered_to=actor.user_id)


def visibility(answer: Answer) -> str:
    """Who sees a slash command's or button's answer: the channel only when asked to share
    (never an export's, which is for the admin who asked)."""
    if isinstance(answer.result, ExportReady):
        return "ephemeral"
    return "in_channel" if answer.share else "ephemeral"


def deliver_export(client: WebClient, answer: Answer, actor: Actor) -> bool:
    """Send an export's files to the asker only, in a direct message; False if none."""
    result = answer.result
    if not isinstance(result, ExportReady):
        return False
    client.files_upload_v2(
        channel=direct_channel(client, actor.user_id),
        file_uploads=[
            {"content": data, "filename": name, "title": name}
            for name, data in result.files.items()
        ],
        initial_comment=f"Everything held on customer #{result.customer_id}, as you asked.",
    )
    return True


def direct_channel(client: WebClient, user_id: str) -> str:
    """The bot's direct-message channel with the user (conversations.open)."""
    return client.conversations_open(users=user_id)["channel"]["id"]


def shared_outside(context: BotContext, team_id: str | None, channel_id: str | None) -> bool:
    """Whether conversations.info says the channel is shared with another organisation
    (Slack Connect): the CRM's data must not be posted there unasked."""
    slack = context.backend.slack
    if slack is None or not team_id or not channel_id or channel_id.startswith("D"):
        return False
    channel = slack.channel(team_id, channel_id)
    return bool(channel and channel.is_ext_shared)


def upload_chart(
    client: WebClient, answer: Answer, *, channel: str, thread_ts: str | None = None
) -> bool:
    """Upload the answer's chart (files_upload_v2) where the answer went; False if it has none."""
    picture = render_chart(answer)
    if picture is None:
        return False
    client.files_upload_v2(
        channel=channel,
        thread_ts=thread_ts,
        content=picture,
        filename="crm-chart.png",
        title="CRM chart",
    )
    return True
