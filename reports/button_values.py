"""What a command button carries: the command, and the user it was offered to when it acts
on what that user asked (a choice, a confirmation, an undo).

A bound button's value is a small JSON object {"cmd": ..., "for": "U…"}; an unbound one is
the bare command, as every button was before, so messages already posted keep working.
Slack sends back only the values of our own messages, so the value needs no signature.
"""

from __future__ import annotations

import json
from dataclasses import dataclass


@dataclass(frozen=True)
class ButtonCommand:
    command: str
    offered_to: str | None = None  # None: anyone who sees the button may use it

    def is_for(self, user_id: str) -> bool:
        return self.offered_to is None or self.offered_to == user_id


def button_value(command: str, offered_to: str | None = None) -> str:
    """The value of a button that runs `command`, bound to `offered_to` when given."""
    if offered_to is None:
        return command
    return json.dumps({"cmd": command, "for": offered_to}, separators=(",", ":"))


def read_button_value(value: str) -> ButtonCommand:
    """The command a clicked button stands for, and whom it was offered to."""
    if value.startswith("{"):
        try:
            said = json.loads(value)
        except json.JSONDecodeError:
            return ButtonCommand(value)
        if isinstance(said, dict) and isinstance(said.get("cmd"), str):
            offered = said.get("for")
            return ButtonCommand(said["cmd"], offered if isinstance(offered, str) else None)
    return ButtonCommand(value)
