"""Fitted customer-value models, their per-pattern predictions and the tops of the rankings."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index, false
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
    # What the at-risk customers (P(alive) under at_risk_threshold) hold: their CLV and their
    # value at risk, for the answers that name those customers' totals.
    at_risk_clv: float | None = None
    at_risk_value_at_risk: float | None = None
    # Which purchase model scored (bgnbd, mbgnbd, paretonbd or historic) and why it was picked
    # (analytics.model, or auto's holdout check); its parameters as JSON ({"r": ..., ...}).
    model: str | None = Field(default=None, max_length=16)
    model_reason: str | None = Field(default=None, max_length=500)
    model_params: str | None = None
    # The holdout check auto ran to pick the model, as JSON, for the answers that explain it.
    model_check: str | None = None
    # True when the refresh was asked to score as of a past date (--as-of).
    as_of_requested: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    # The currency every figure of this fit is in.
    currency: str | None = Field(default=None, max_length=3)
    # A central interval of total CLV (level e.g. 0.9), from the parameters' uncertainty.
    interval_level: float | None = None
    total_clv_low: float | None = None
    total_clv_high: float | None = None


class PatternScore(SQLModel, table=True):
    # The latest fit's predictions for one (frequency, recency, T) pattern, keyed the way
    # purchase_summary holds a customer: a customer's scores are their aggregates joined to
    # their pattern's row (crm_core.analytics.customer_scores), so a refresh writes one row per
    # pattern (about 50k for a million customers) instead of one per customer. Derived data,
    # replaced whole by every refresh.
    __tablename__ = "pattern_score"
    __table_args__ = ({"sqlite_with_rowid": False},)

    team_id: str = Field(primary_key=True, max_length=32)
    periods: int = Field(primary_key=True)  # purchase_summary.periods: frequency + 1
    first_period: int = Field(primary_key=True)
    last_period: int = Field(primary_key=True)
    fit_id: int  # the analytics_fit the predictions came from
    frequency: int
    recency: int
    age: int  # T in the papers: periods from the first purchase to the fit's observation end
    customers: int  # how many customers had this pattern at the fit
    expected_purchases: float
    p_alive: float | None = None  # None with the historic formula
    # A customer's CLV is clv_base + clv_per_order_value x m + clv_per_revenue x total value,
    # m being their mean repeat order value: E(M | x, m) x the discounted expected purchases
    # under the models, revenue per month of tenure x the horizon under the historic formula.
    clv_base: float
    clv_per_order_value: float
    clv_per_revenue: float
    # P(no purchase in the horizon | pattern); None with the historic formula.
    p_no_purchase: float | None = None


class ChannelValue(SQLModel, table=True):
    # The latest fit's CLV of the scored customers of one acquisition channel, summed, so
    # `cac` reads a few rows instead of scoring every customer while Slack waits. Replaced
    # whole by every refresh; a customer changed since (their channel, say) makes `cac` add
    # up the live scores instead.
    __tablename__ = "channel_value"

    team_id: str = Field(primary_key=True, max_length=32)
    channel: str = Field(primary_key=True, max_length=100)
    fit_id: int
    customers: int  # scored customers of the channel at the fit
    clv: float  # their CLV, summed


class ScoreRank(SQLModel, table=True):
    # The top of a ranking at the latest fit ("clv": every customer by CLV; "value_at_risk":
    # customers under the fit's P(alive) threshold by value at risk), so the most valuable
    # and the most at risk are read without ranking a million customers while Slack waits.
    __tablename__ = "score_rank"
    __table_args__ = ({"sqlite_with_rowid": False},)

    team_id: str = Field(primary_key=True, max_length=32)
    ranking: str = Field(primary_key=True, max_length=16)
    position: int = Field(primary_key=True)  # 0 is the top
    customer_id: int
    # The customer's CLV interval at the fit's interval_level, for the top of the rankings.
    clv_low: float | None = None
    clv_high: float | None = None
