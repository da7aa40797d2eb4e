"""What the bot says when it does nothing for someone: a refusal of their role, or a button
that was offered to another user. Neither names a customer or shows any data."""

from __future__ import annotations

from reports.mrkdwn import escape, mention

_WHO = {
    "guest": "Guests of the workspace",
    "external": "People from another organisation",
}
_HOW_TO_OPEN = {
    "guest": "an admin can open read-only access to guests with `security.guests: read` "
    "in app.yaml",
    "external": "an admin can open named read-only verbs to them with "
    "`security.external_verbs` in app.yaml",
}


def not_allowed(role: str, what: str, *, short: bool = False) -> str:
    """Why a user of this role gets nothing for `what` ("log an interaction"), and what next;
    `short` for a form field's error, which Slack cuts at 150 characters."""
    who = _WHO.get(role, "You")
    if short:
        return f"{who} cannot {what}; ask an admin of the workspace."
    return (
        f"{who} cannot {what} here; {_HOW_TO_OPEN.get(role, 'ask an admin')}. "
        "Type `/crm help` to see what you can do."
    )


def offered_to_someone_else(user_id: str | None, command: str) -> str:
    """The answer to a click on a choice or confirmation that was offered to another user."""
    return (
        f"Nothing was done: that button was offered to {mention(user_id)}, not to you. "
        f"To do it yourself, type `/crm {escape(command)}`."
    )
