"""Fitted customer-value models and the per-customer scores read while Slack waits."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index
from sqlmodel import Field, SQLModel

from crm_core.models.types import UTCDateTime, utcnow


class AnalyticsFit(SQLModel, table=True):
    # One refresh of a workspace's CLV models: parameters, data watermark, sample sizes.
    __tablename__ = "analytics_fit"
    __table_args__ = (Index("ix_analytics_fit_team_fitted", "team_id", "fitted_at"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    fitted_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False, default=utcnow)
    )
    # "bgnbd+gamma-gamma" or "historic" (the fallback), and why the fallback was needed.
    method: str = Field(max_length=32)
    reason: str | None = Field(default=None, max_length=500)
    time_unit: str = Field(max_length=1)
    horizon_months: int
    monthly_discount_rate: float
    observation_end: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    # The newest purchase the fit saw: a newer one means the scores are stale.
    watermark_purchase_id: int | None = None
    watermark_purchased_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    purchases: int = 0
    customers: int = 0
    repeat_customers: int = 0
    unique_patterns: int = 0
    bg_r: float | None = None
    bg_alpha: float | None = None
    bg_a: float | None = None
    bg_b: float | None = None
    bg_converged: bool = False
    gg_p: float | None = None
    gg_q: float | None = None
    gg_v: float | None = None
    gg_converged: bool = False
    gg_customers: int = 0
    seconds: float = 0.0
    # Totals over every score, so answers need not add up a million rows while Slack waits.
    total_clv: float | None = None
    total_value_at_risk: float | None = None
    at_risk_customers: int | None = None
    at_risk_threshold: float | None = None


class CustomerScore(SQLModel, table=True):
    # A customer's RFM summary and predictions from the workspace's latest fit. Derived data,
    # replaced whole by every refresh: no foreign keys, so SQLite can empty the table at once
    # (merges delete the merged customer's row themselves), and on SQLite no rowid either.
    __tablename__ = "customer_score"
    __table_args__ = (
        Index("ix_customer_score_team_clv", "team_id", "clv"),
        Index("ix_customer_score_team_value_at_risk", "team_id", "value_at_risk"),
        {"sqlite_with_rowid": False},
    )

    team_id: str = Field(primary_key=True, max_length=32)
    customer_id: int = Field(primary_key=True)
    fit_id: int  # the analytics_fit the scores came from
    frequency: int
    recency: float
    age: float  # T in the papers: time units since the first purchase
    monetary_value: float
    expected_purchases: float | None = None
    p_alive: float | None = None
    clv: float
    value_at_risk: float | None = None
