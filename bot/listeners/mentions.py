"""`@crm <text>` in a channel and direct messages to the bot, answered in a thread.

Slack retries an event it thinks went unanswered; each event id is taken on once (in the
database, so across processes and restarts), and a logged interaction carries the event id
as its idempotency key besides. The bot's own messages and edits are ignored.

In a channel shared with another organisation (Slack Connect) an answer goes to the asker
alone (chat.postEphemeral, charts in a direct message), never into the channel: the other
organisation's members would read the CRM's data there. Direct messages are private anyway.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING

from slack_bolt import App
from slack_sdk import WebClient

from bot.askers import event_asker
from bot.client import permalink
from bot.identity import slack_actor
from bot.listeners import answering
from commands.text_limit import within_limit
from crm_core.deliveries import take_delivery

if TYPE_CHECKING:
    from bot.app import BotContext

logger = logging.getLogger(__name__)
# A label stops at the next "<" (Slack escapes one typed), so each mention is read once.
_MENTION = re.compile(r"<@[A-Z0-9]++(?:\|[^<>]*+)?>")


def register(app: App, context: BotContext) -> None:
    @app.event("app_mention")
    def on_mention(body: dict, event: dict, client: WebClient) -> None:
        _answer(context, body, event, client)

    @app.event("message")
    def on_message(body: dict, event: dict, client: WebClient) -> None:
        if event.get("channel_type") != "im" or event.get("subtype"):
            return  # channel chatter, edits and joins are not for us
        _answer(context, body, event, client)


def _answer(context: BotContext, body: dict, event: dict, client: WebClient) -> None:
    if event.get("bot_id"):
        return  # a bot's message, ours included
    team_id = body.get("team_id") or event.get("team")
    event_id = body.get("event_id") or f"{event['channel']}:{event['ts']}"
    if not take_delivery(context.backend.engine, team_id=team_id, key=f"event:{event_id}"):
        logger.info("event %s delivered again; already handled", event_id)
        return
    text = within_limit(event.get("text", ""), lambda t: _MENTION.sub("", t).strip()) or "help"
    text, chart = answering.chart_asked(text)
    actor = slack_actor(
        context.backend.settings,
        context.users,
        event_asker(body, event),
        permalink=permalink(client, event["channel"], event["ts"]),
        idempotency_key=f"slack:{event_id}",
        wants_chart=chart,
        channel_id=event["channel"],
    )
    answer = answering.answer(context, text, actor)
    thread = event.get("thread_ts") or event["ts"]
    channel, message = event["channel"], answering.message(answer, actor)
    shared = _shared_outside(context, body, event)
    if shared:
        client.chat_postEphemeral(channel=channel, user=actor.user_id, thread_ts=thread, **message)
    else:
        client.chat_postMessage(channel=channel, thread_ts=thread, **message)
    answering.deliver_export(client, answer, actor)
    if chart and shared:  # the chart is data too: the asker's direct message
        dm = answering.direct_channel(client, actor.user_id)
        answering.upload_chart(client, answer, channel=dm)
    elif chart:
        answering.upload_chart(client, answer, channel=channel, thread_ts=thread)


def _shared_outside(context: BotContext, body: dict, event: dict) -> bool:
    """Whether the conversation is shared with another organisation: as the event envelope
    says, or, when it does not say, as conversations.info does."""
    if event.get("channel_type") == "im":
        return False
    if "is_ext_shared_channel" in body:
        return bool(body["is_ext_shared_channel"])
    team_id = body.get("team_id") or event.get("team")
    return answering.shared_outside(context, team_id, event["channel"])
