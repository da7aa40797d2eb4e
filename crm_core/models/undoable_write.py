"""What a user wrote from chat, kept for a while so that they can take it back."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column, Index
from sqlmodel import Field, SQLModel

from crm_core.models.types import UTCDateTime, utcnow


class UndoableWrite(SQLModel, table=True):
    # One write made in chat (a log, a purchase, an edit...) and the row it touched, so that
    # `undo` can reverse it. An edit or a delete keeps what the row held before; entries go
    # when the undo window is over, and with the customer's personal data on `forget`.
    __tablename__ = "undoable_write"
    __table_args__ = (
        Index("ix_undoable_write_team_user_at", "team_id", "user_id", "at"),
        Index("ix_undoable_write_team_customer", "team_id", "customer_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    user_id: str = Field(max_length=32)
    at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False, default=utcnow)
    )
    # log, remind, purchase, nps, add customer, add contact, done, edit, delete,
    # subscribe, unsubscribe
    action: str = Field(max_length=16)
    # interaction, purchase, nps_response, customer, contact or alert_subscription
    row_kind: str = Field(max_length=32)
    row_id: int
    customer_id: int | None = None
    before: dict | None = Field(default=None, sa_column=Column(JSON))
    undone_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
