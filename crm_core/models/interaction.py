"""Calls, meetings, emails and notes logged against a customer, with their follow-ups."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, Index, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from crm_core.models.types import UTCDateTime, utcnow


class InteractionKind(StrEnum):
    call = "call"
    meeting = "meeting"
    email = "email"
    note = "note"
    other = "other"


class InteractionSource(StrEnum):
    slack = "slack"
    console = "console"
    import_ = "import"


class Interaction(SQLModel, table=True):
    # One touch with a customer; a follow-up date makes it show in someone's follow-ups.
    __tablename__ = "interaction"
    __table_args__ = (
        UniqueConstraint("team_id", "idempotency_key", name="uq_interaction_team_idempotency_key"),
        Index("ix_interaction_team_customer_when", "team_id", "customer_id", "occurred_at"),
        Index("ix_interaction_team_followup", "team_id", "follow_up_done", "follow_up_at"),
        # "my follow-ups", the default of `followups` and the App Home: one user's, soonest first.
        Index(
            "ix_interaction_team_author_followup",
            "team_id",
            "author_user_id",
            "follow_up_done",
            "follow_up_at",
        ),
        # A customer's open follow-ups: SQLite, without statistics, would otherwise walk every
        # open follow-up of the workspace through the index above.
        Index(
            "ix_interaction_team_customer_followup",
            "team_id",
            "customer_id",
            "follow_up_done",
            "follow_up_at",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    customer_id: int = Field(foreign_key="customer.id")
    kind: InteractionKind = Field(sa_type=String(16))
    summary: str = Field(default="", max_length=40_000)
    occurred_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False)
    )
    author_user_id: str | None = Field(default=None, max_length=32)
    source: InteractionSource = Field(sa_type=String(16))
    permalink: str | None = Field(default=None, max_length=1_000)
    follow_up_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    follow_up_done: bool = False
    follow_up_done_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    idempotency_key: str | None = Field(default=None, max_length=200)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False, default=utcnow)
    )
