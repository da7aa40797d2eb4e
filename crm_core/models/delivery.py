"""Deliveries already handled, so a retried one (same key) is recognised in any process."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index
from sqlmodel import Field, SQLModel

from crm_core.models.types import UTCDateTime, utcnow


class Delivery(SQLModel, table=True):
    # One event or request a front end has taken on, by the id its sender gave it.
    __tablename__ = "delivery"
    __table_args__ = (Index("ix_delivery_received_at", "received_at"),)

    team_id: str = Field(primary_key=True, max_length=32)
    key: str = Field(primary_key=True, max_length=200)
    received_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False, default=utcnow)
    )
