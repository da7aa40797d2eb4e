"""What a handler gets: the command's text, who asks, and the open unit of work."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from commands.actor import Actor, SlackSide

if TYPE_CHECKING:  # annotations only: `crm ask help` runs without the database layer
    from sqlmodel import Session

    from crm_core.settings import Settings


@dataclass(frozen=True)
class Request:
    text: str  # the cleaned command text, for building "did you mean" commands
    actor: Actor
    session: Session
    settings: Settings
    slack: SlackSide | None = None

    @property
    def team_id(self) -> str:
        return self.actor.team_id

    def remember(
        self, action: str, row: Any, *, customer_id: int | None = None, before: dict | None = None
    ) -> int:
        """Note the asker's write so `undo` (or its button) can take it back; the note's id."""
        from crm_core import undo  # here, with the database layer `help` does without

        return undo.remember(
            self.session,
            team_id=self.team_id,
            user_id=self.actor.user_id,
            action=action,
            row=row,
            customer_id=customer_id,
            before=before,
            now=self.actor.now,
            window=self.undo_window,
        ).id

    @property
    def undo_window(self) -> timedelta:
        return timedelta(minutes=self.settings.undo_minutes)
