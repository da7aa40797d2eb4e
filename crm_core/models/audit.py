"""The audit log: who did what to the workspace's data, and who was refused."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column, Index
from sqlmodel import Field, SQLModel

from crm_core.models.types import UTCDateTime, utcnow


class AuditEvent(SQLModel, table=True):
    # Targets are ids ("customer #42"), never names: an erasure must not leave personal data
    # behind in the log that records it.
    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_event_team_at", "team_id", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False, default=utcnow)
    )
    user_id: str | None = Field(default=None, max_length=32)  # None: the console or the system
    action: str = Field(max_length=32)  # import, merge, export, forget, subscribe, refused, ...
    target: str | None = Field(default=None, max_length=200)
    allowed: bool = True
    detail: dict | None = Field(default=None, sa_column=Column(JSON))
