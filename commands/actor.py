"""Who is asking, from where, and when: the context every command runs in."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from typing import TYPE_CHECKING, Literal, Protocol

if TYPE_CHECKING:  # annotations only: `crm ask help` runs without the database layer
    from sqlalchemy import Engine

    from crm_core.settings import Settings


@dataclass(frozen=True)
class Actor:
    """A user of one workspace; `now` is injectable so tests and replays are exact."""

    team_id: str
    user_id: str
    tz: tzinfo
    # rep: a member of the workspace; guest: Slack's restricted users; external: a user of
    # another organisation (Slack Connect). What each may do is commands.permissions' table.
    role: Literal["rep", "admin", "guest", "external"] = "rep"
    source: Literal["slack", "console"] = "console"
    now: datetime = field(default_factory=lambda: datetime.now(UTC))
    # Where a logged interaction came from, and the delivery id that makes a retry a no-op.
    permalink: str | None = None
    idempotency_key: str | None = None
    # The front end will draw a chart, so answers carry the data it needs.
    wants_chart: bool = False
    # The conversation the command was typed in (Slack), for "this channel".
    channel_id: str | None = None

    @property
    def local_now(self) -> datetime:
        return self.now.astimezone(self.tz)


@dataclass(frozen=True)
class Channel:
    id: str
    name: str | None
    bot_is_member: bool
    # Shared with another organisation (Slack Connect): customer data needs an admin's
    # allowance to go there.
    is_ext_shared: bool = False


class SlackSide(Protocol):
    """What a command may ask of Slack, given by a front end that can talk to it (the bot)."""

    def channel(self, team_id: str, channel_id: str) -> Channel | None:
        """The channel, or None when the workspace has no such channel the bot can see."""
        ...

    def post_alert_now(self, subscription_id: int, now: datetime) -> str:
        """Post a subscription's digest now, outside its schedule; the message ts."""
        ...


@dataclass(frozen=True)
class Backend:
    """The database and settings commands run against; built once by each front end."""

    engine: Engine
    settings: Settings
    # None where no Slack is reachable (the console without a bot token).
    slack: SlackSide | None = None
