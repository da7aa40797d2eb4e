"""Net Promoter Score survey answers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from crm_core.models.types import UTCDateTime, utcnow


class NpsResponse(SQLModel, table=True):
    # One answer to "how likely are you to recommend us", 0 to 10.
    __tablename__ = "nps_response"
    __table_args__ = (
        CheckConstraint("score >= 0 AND score <= 10", name="ck_nps_response_score_range"),
        UniqueConstraint("team_id", "external_id", name="uq_nps_response_team_external_id"),
        Index("ix_nps_response_team_customer_when", "team_id", "customer_id", "responded_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    customer_id: int = Field(foreign_key="customer.id")
    score: int
    comment: str | None = Field(default=None, max_length=10_000)
    responded_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False)
    )
    author_user_id: str | None = Field(default=None, max_length=32)
    external_id: str | None = Field(default=None, max_length=200)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False, default=utcnow)
    )
