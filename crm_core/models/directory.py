"""The workspace's people and channels by name, for front ends that cannot ask Slack."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index
from sqlmodel import Field, SQLModel

from crm_core.models.types import UTCDateTime, utcnow


class DirectoryEntry(SQLModel, table=True):
    # A Slack user or channel: the console reads `owner @jane` and `#sales` through it and
    # shows names instead of ids. Filled from Slack's users.list and conversations.list
    # (`crm directory sync`) or by hand (`people add`, `channels add`).
    __tablename__ = "directory_entry"
    __table_args__ = (Index("ix_directory_entry_team_kind_handle", "team_id", "kind", "handle"),)

    team_id: str = Field(primary_key=True, max_length=32)
    kind: str = Field(primary_key=True, max_length=8)  # "user" or "channel"
    slack_id: str = Field(primary_key=True, max_length=32)
    handle: str = Field(max_length=100)  # lower case, without @ or #: "jane", "sales"
    name: str | None = Field(default=None, max_length=200)  # "Jane Roe"
    source: str = Field(max_length=8)  # "slack" (a sync) or "console" (typed)
    updated_at: datetime = Field(
        default_factory=utcnow,
        sa_column=Column(UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow),
    )
