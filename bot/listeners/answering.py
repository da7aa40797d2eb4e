"""Running a line of chat for a Slack user and turning the answer into a Slack message."""

from __future__ import annotations

from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from typing import TYPE_CHECKING, Any

from commands import Actor, dispatch
from commands.results import Answer
from reports.chat import render_message

if TYPE_CHECKING:
    from bot.app import BotContext

# Slack wants an acknowledgement within 3 s; an answer not ready by then follows it.
ANSWER_IN_ACK_SECONDS = 2.0


def start(context: BotContext, text: str, actor: Actor) -> Future[Answer]:
    """Run the line on a worker thread."""
    return context.workers.submit(dispatch, text, actor, context.backend)


def ready(future: Future[Answer]) -> Answer | None:
    """The answer if it comes within the acknowledgement window, else None."""
    try:
        return future.result(timeout=ANSWER_IN_ACK_SECONDS)
    except FutureTimeout:
        return None


def message(answer: Answer, actor: Actor) -> dict[str, Any]:
    """The Slack message for an answer (text fallback and blocks)."""
    return render_message(answer, actor.tz)
