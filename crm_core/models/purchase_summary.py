"""Per-customer purchase aggregates kept up to date as purchases arrive.

They hold what the BG/NBD and Gamma-Gamma summary needs, so a refresh at a million
customers reads a million small rows instead of grouping five million purchases.
"""

from __future__ import annotations

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel


class PurchaseSummary(SQLModel, table=True):
    # One customer's purchase periods in one time unit (D, W or M).
    __tablename__ = "purchase_summary"
    __table_args__ = (
        UniqueConstraint("team_id", "customer_id", name="uq_purchase_summary_team_customer"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    customer_id: int = Field(foreign_key="customer.id")
    time_unit: str = Field(max_length=1)
    first_period: int
    last_period: int
    periods: int  # distinct periods with a purchase
    first_period_value: float  # the amounts of the first period, summed
    total_value: float
    # Refunds (negative amounts) summed, as a negative number: they net against the value.
    refunded_value: float = Field(default=0.0, sa_column_kwargs={"server_default": "0"})


class PurchaseSummaryState(SQLModel, table=True):
    # What the aggregates of a workspace include: a newer or missing purchase means rebuild.
    __tablename__ = "purchase_summary_state"

    team_id: str = Field(primary_key=True, max_length=32)
    time_unit: str = Field(max_length=1)
    newest_purchase_id: int | None = None
