"""Block Kit building blocks that keep Slack's hard limits by truncating with "…".

Limits (api.slack.com/reference/block-kit): 50 blocks a message, 100 in a modal or Home tab;
3,000 characters of section text; 150 of header text; 10 fields of 2,000; 75 of button text;
2,000 of a button value; 25 buttons in an actions block; a confirm dialog's title 100,
its text 300, its buttons 30.
"""

from __future__ import annotations

from typing import Any, Literal

from reports.mrkdwn import escape, truncate

MAX_BLOCKS = {"message": 50, "modal": 100, "home": 100}
SECTION_TEXT = 3_000
HEADER_TEXT = 150
FIELDS = 10
FIELD_TEXT = 2_000
BUTTON_TEXT = 75
BUTTON_VALUE = 2_000
ACTION_ELEMENTS = 25
CONTEXT_TEXT = 2_000
CONFIRM_TITLE, CONFIRM_TEXT, CONFIRM_BUTTON = 100, 300, 30
FALLBACK_TEXT = 3_000

Block = dict[str, Any]


def header(text: str) -> Block:
    """A header; plain text, so nothing needs escaping."""
    return {
        "type": "header",
        "text": {"type": "plain_text", "text": truncate(text, HEADER_TEXT), "emoji": True},
    }


def section(mrkdwn: str, *, fields: list[str] | None = None) -> Block:
    """A section of already-escaped mrkdwn, and optionally up to 10 fields."""
    block: Block = {
        "type": "section",
        "text": {"type": "mrkdwn", "text": truncate(mrkdwn, SECTION_TEXT)},
    }
    if fields:
        block["fields"] = [
            {"type": "mrkdwn", "text": truncate(f, FIELD_TEXT)} for f in fields[:FIELDS]
        ]
    return block


def context(mrkdwn: str) -> Block:
    return {
        "type": "context",
        "elements": [{"type": "mrkdwn", "text": truncate(mrkdwn, CONTEXT_TEXT)}],
    }


def divider() -> Block:
    return {"type": "divider"}


def button(
    text: str,
    *,
    action_id: str,
    value: str,
    style: Literal["primary", "danger"] | None = None,
    confirm: str | None = None,
) -> Block:
    """A button whose value is a command to run when clicked (plain text, not shown); with
    `confirm`, Slack asks that question first and sends nothing unless the user agrees."""
    element: Block = {
        "type": "button",
        "text": {"type": "plain_text", "text": truncate(text, BUTTON_TEXT), "emoji": True},
        "action_id": action_id,
        "value": value[:BUTTON_VALUE],
    }
    if style:
        element["style"] = style
    if confirm:
        element["confirm"] = confirm_dialog(confirm)
    return element


def confirm_dialog(question: str, *, go: str = "Yes, do it") -> Block:
    """Slack's confirm dialog for a destructive button: red "do it", and a way back."""
    return {
        "title": {"type": "plain_text", "text": truncate("Are you sure?", CONFIRM_TITLE)},
        "text": {"type": "plain_text", "text": truncate(question, CONFIRM_TEXT)},
        "confirm": {"type": "plain_text", "text": truncate(go, CONFIRM_BUTTON)},
        "deny": {"type": "plain_text", "text": "Cancel"},
        "style": "danger",
    }


def actions(buttons: list[Block]) -> Block | None:
    """An actions block of at most 25 buttons, each with a distinct action_id."""
    if not buttons:
        return None
    kept = buttons[:ACTION_ELEMENTS]
    for position, element in enumerate(kept):
        element["action_id"] = f"{element['action_id']}:{position}"
    return {"type": "actions", "elements": kept}


def message(text: str, blocks: list[Block | None], *, surface: str = "message") -> dict[str, Any]:
    """A message (or view body) with a non-empty fallback and no more blocks than allowed.

    When there are too many blocks, the last one kept says how many were left out.
    """
    kept = [b for b in blocks if b]
    limit = MAX_BLOCKS[surface]
    if len(kept) > limit:
        left_out = len(kept) - (limit - 1)
        kept = kept[: limit - 1] + [context(f"… and {left_out:,} more not shown")]
    fallback = truncate(text.strip() or "CRM", FALLBACK_TEXT)
    return {"text": fallback, "blocks": kept}


__all__ = ["escape"]
