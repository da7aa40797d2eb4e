"""Slack views (surfaces other than messages): the App Home tab and the log-an-interaction modal.

Like messages, they are built from results and given values only; the ids below are what
the bot's listeners match submissions and errors on.
"""

from __future__ import annotations

import json
from datetime import tzinfo
from typing import Any

from commands import results
from reports import blockkit
from reports.chat import render_message
from reports.mrkdwn import truncate

LOG_MODAL = "crm_log_modal"  # callback_id of the modal
CUSTOMER_BLOCK, CUSTOMER_SELECT = "customer", "customer_select"
KIND_BLOCK, KIND_SELECT = "kind", "kind_select"
SUMMARY_BLOCK, SUMMARY_INPUT = "summary", "summary_input"
FOLLOW_UP_BLOCK, FOLLOW_UP_DATE = "follow_up", "follow_up_date"
KINDS = ("call", "meeting", "email", "note", "other")
SUMMARY_LIMIT = 3_000  # a plain_text_input holds at most 3,000 characters
OPTION_TEXT = 75


def home_view(
    answers: list[results.Answer], tz: tzinfo, *, offered_to: str | None = None
) -> dict[str, Any]:
    """The App Home tab: the answers one under another, within the Home tab's 100 blocks;
    `offered_to` is the user whose tab it is."""
    blocks: list[blockkit.Block | None] = []
    for answer in answers:
        if blocks:
            blocks.append(blockkit.divider())
        blocks.extend(render_message(answer, tz, surface="home", offered_to=offered_to)["blocks"])
    blocks.append(blockkit.context("Ask me anything with `/crm help`, or mention me in a channel."))
    return {"type": "home", "blocks": blockkit.message("CRM", blocks, surface="home")["blocks"]}


def customer_option(customer_id: int, name: str) -> dict[str, Any]:
    """An option of the customer picker (text is plain, at most 75 characters)."""
    return {
        "text": {"type": "plain_text", "text": truncate(name, OPTION_TEXT)},
        "value": str(customer_id),
    }


def log_modal(
    *,
    summary: str = "",
    permalink: str | None = None,
    customer: tuple[int, str] | None = None,
) -> dict[str, Any]:
    """The "Log to CRM" modal, prefilled from a message (text and permalink) or a customer."""
    picker: dict[str, Any] = {
        "type": "external_select",
        "action_id": CUSTOMER_SELECT,
        "placeholder": {"type": "plain_text", "text": "Type a customer's name"},
        "min_query_length": 1,
    }
    if customer:
        picker["initial_option"] = customer_option(*customer)
    summary_input: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": SUMMARY_INPUT,
        "multiline": True,
        "max_length": SUMMARY_LIMIT,
    }
    if summary.strip():
        summary_input["initial_value"] = summary[:SUMMARY_LIMIT]
    kinds = [
        {"text": {"type": "plain_text", "text": kind.title()}, "value": kind} for kind in KINDS
    ]
    blocks: list[dict[str, Any]] = [
        _input(CUSTOMER_BLOCK, "Customer", picker),
        _input(
            KIND_BLOCK,
            "Kind",
            {
                "type": "static_select",
                "action_id": KIND_SELECT,
                "options": kinds,
                "initial_option": kinds[0],
            },
        ),
        _input(SUMMARY_BLOCK, "What happened", summary_input),
        _input(
            FOLLOW_UP_BLOCK,
            "Follow up on",
            {"type": "datepicker", "action_id": FOLLOW_UP_DATE},
            optional=True,
        ),
    ]
    if permalink:
        blocks.append(blockkit.context(f"Saved with a link to <{permalink}|the message>."))
    return {
        "type": "modal",
        "callback_id": LOG_MODAL,
        "title": {"type": "plain_text", "text": "Log to CRM"},
        "submit": {"type": "plain_text", "text": "Save"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "private_metadata": json.dumps({"permalink": permalink})[:3000],
        "blocks": blocks,
    }


def _input(block_id: str, label: str, element: dict, *, optional: bool = False) -> dict:
    return {
        "type": "input",
        "block_id": block_id,
        "label": {"type": "plain_text", "text": label},
        "element": element,
        "optional": optional,
    }
