"""What a handler gets: the command's text, who asks, and the open unit of work."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

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
