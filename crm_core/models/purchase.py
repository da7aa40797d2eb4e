"""Orders: what a customer paid, when, in which currency."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Column, Index, Numeric, UniqueConstraint
from sqlmodel import Field, SQLModel

from crm_core.models.types import UTCDateTime, utcnow


class Purchase(SQLModel, table=True):
    # One order; a negative amount is a refund. external_id makes re-imports idempotent.
    __tablename__ = "purchase"
    __table_args__ = (
        UniqueConstraint("team_id", "external_id", name="uq_purchase_team_external_id"),
        # Covering the aggregates' build (purchase_summaries.rebuild): a customer's purchases
        # in time order with their amounts, read without visiting the table.
        Index(
            "ix_purchase_team_customer_when_value",
            "team_id",
            "customer_id",
            "purchased_at",
            "amount",
            "reporting_amount",
            "currency",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    customer_id: int = Field(foreign_key="customer.id")
    purchased_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    amount: Decimal = Field(sa_type=Numeric(14, 2))
    currency: str = Field(max_length=3)
    # The amount in the workspace's reporting currency (analytics.reporting), converted at
    # import with the team's exchange rates; every analytics figure adds these, never `amount`.
    reporting_amount: Decimal | None = Field(default=None, sa_type=Numeric(14, 2))
    reporting_currency: str | None = Field(default=None, max_length=3)
    external_id: str | None = Field(default=None, max_length=200)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False, default=utcnow)
    )
