"""An errbot-style driver: the console's path through dispatch and rendering, for tests."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from commands import Actor, Backend, dispatch
from commands.console import shown
from commands.results import Answer
from crm_core.settings import Settings
from reports.chat import render_message

NEW_YORK = ZoneInfo("America/New_York")
# A Tuesday, mid-afternoon in New York.
NOW = datetime(2026, 3, 10, 15, 0, tzinfo=NEW_YORK)


@dataclass
class ChatBot:
    """Sends lines as one user of one workspace; keeps the last answer for inspection."""

    engine: Engine
    team_id: str = "T1"
    user_id: str = "U0REP0001"
    now: datetime = NOW
    tz: ZoneInfo = NEW_YORK
    last: Answer | None = field(default=None, init=False)

    @property
    def backend(self) -> Backend:
        return Backend(self.engine, Settings(database_url="sqlite://", team_id=self.team_id))

    def actor(self, **changes) -> Actor:
        base = Actor(
            team_id=self.team_id, user_id=self.user_id, tz=self.tz, now=self.now, source="console"
        )
        return replace(base, **changes)

    def ask(self, text: str, **actor_changes) -> Answer:
        self.last = dispatch(text, self.actor(**actor_changes), self.backend)
        return self.last

    def exec(self, text: str, **actor_changes) -> str:
        """What the console prints for `text`."""
        answer = self.ask(text, **actor_changes)
        return shown(answer, replace(self.actor(**actor_changes), tz=self.tz), self.backend)

    def slack(self, text: str, **actor_changes) -> dict:
        """The Block Kit message Slack would get for `text`."""
        return render_message(self.ask(text, **actor_changes), self.tz)

    @property
    def result(self):
        assert self.last is not None
        return self.last.result
