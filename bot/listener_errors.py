"""What happens when a listener fails in a way nobody foresaw: the error is logged for the
operator (the request body is not: it holds what people typed and a response_url), and the
user is told in a sentence, instead of Slack showing a failure or the server a 500."""

from __future__ import annotations

import json
import logging

from slack_bolt import BoltResponse
from slack_bolt.context.respond import Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

logger = logging.getLogger(__name__)
SOMETHING_WENT_WRONG = (
    "Something went wrong on our side, and nothing was saved. Try again in a minute; if it "
    "keeps failing, an admin will find the error in the server's log."
)


def on_unhandled_error(
    error: Exception,
    body: dict,
    response: BoltResponse | None,
    respond: Respond | None,
    client: WebClient | None,
) -> BoltResponse | None:
    """Bolt's global error handler (App.error): log, answer, and never a 500."""
    kind = body.get("type") or ("slash_command" if "command" in body else "request")
    logger.error("a listener failed on a %s", kind, exc_info=error)
    if response is not None and "command" in body:  # not acknowledged yet: say it in the ack
        return _ephemeral(SOMETHING_WENT_WRONG)
    _tell(body, respond, client)
    if response is not None:
        return BoltResponse(status=200, body="")
    return None


def _ephemeral(text: str) -> BoltResponse:
    message = {"response_type": "ephemeral", "text": text}
    return BoltResponse(
        status=200, body=json.dumps(message), headers={"content-type": "application/json"}
    )


def _tell(body: dict, respond: Respond | None, client: WebClient | None) -> None:
    """Tell the user where they asked: the response_url, else an ephemeral message in the
    channel, else a direct message (the App Home, a modal)."""
    event = body.get("event") or {}
    user = event.get("user") or (body.get("user") or {}).get("id")
    channel = event.get("channel") or (body.get("channel") or {}).get("id")
    try:
        if respond is not None and body.get("response_url"):  # Bolt's respond needs one
            respond(text=SOMETHING_WENT_WRONG, response_type="ephemeral", replace_original=False)
        elif client is not None and user and channel:
            client.chat_postEphemeral(channel=channel, user=user, text=SOMETHING_WENT_WRONG)
        elif client is not None and user:
            client.chat_postMessage(channel=user, text=SOMETHING_WENT_WRONG)
    except (SlackApiError, OSError) as exc:  # Slack failing is often why we are here
        logger.warning("could not tell the user about the failure: %s", type(exc).__name__)
