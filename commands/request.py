"""What a handler gets: the command's text, who asks, and the open unit of work."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from commands.actor import Actor, SlackSide
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
