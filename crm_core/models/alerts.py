"""Retention alerts: who subscribed a channel, each scheduled post, and reps' feedback on it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from crm_core.models.types import UTCDateTime, utcnow


class AlertSubscription(SQLModel, table=True):
    # A channel's daily churn digest: when (local time in `timezone`) and which customers.
    __tablename__ = "alert_subscription"
    __table_args__ = (Index("ix_alert_subscription_team_active", "team_id", "active"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    channel_id: str = Field(max_length=32)
    channel_name: str | None = Field(default=None, max_length=200)
    created_by: str = Field(max_length=32)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False, default=utcnow)
    )
    # "daily", "weekdays" (Monday to Friday) or "weekly" on `weekday` (0 = Monday).
    cadence: str = Field(max_length=16)
    weekday: int | None = None
    local_time: str = Field(max_length=5)  # "09:00"
    timezone: str = Field(max_length=64)  # IANA name: the subscriber's time zone
    min_value_at_risk: float = 0.0
    owner_user_id: str | None = Field(default=None, max_length=32)
    segment: str | None = Field(default=None, max_length=100)
    # When no customer is new since the last post: post a one-line all-clear, or nothing.
    quiet_when_unchanged: bool = False
    active: bool = True


class AlertDelivery(SQLModel, table=True):
    # One scheduled post of a subscription. The row is the claim: unique per subscription and
    # slot, inserted before anything is posted, so however many schedulers run, one posts.
    __tablename__ = "alert_delivery"
    __table_args__ = (
        UniqueConstraint("subscription_id", "slot_at", name="uq_alert_delivery_slot"),
        Index("ix_alert_delivery_status_next", "status", "next_attempt_at"),
        Index("ix_alert_delivery_team_sub_slot", "team_id", "subscription_id", "slot_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    subscription_id: int
    slot_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    # claimed -> posting -> sent | skipped; failed (retried later) -> gave_up.
    status: str = Field(max_length=16)
    attempts: int = 0
    claimed_by: str | None = Field(default=None, max_length=100)
    lease_until: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    next_attempt_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    last_error: str | None = Field(default=None, max_length=500)
    message_ts: str | None = Field(default=None, max_length=32)
    finished_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    # What the post said, so the next one can say what is new and how the total moved.
    total_value_at_risk: float | None = None
    customer_ids: list[int] | None = Field(default=None, sa_column=Column(JSON))
    failure_reported: bool = False


class AlertFeedback(SQLModel, table=True):
    # A rep's word on an at-risk customer: "snooze" until a date, or "not_at_risk" until new
    # evidence (a purchase, interaction or NPS answer after `created_at`).
    __tablename__ = "alert_feedback"
    __table_args__ = (Index("ix_alert_feedback_team_customer", "team_id", "customer_id"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    customer_id: int
    kind: str = Field(max_length=16)
    until: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    user_id: str = Field(max_length=32)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False, default=utcnow)
    )


class AlertChannelPace(SQLModel, table=True):
    # When the next post to a channel may go out: every poster, in any process, reserves its
    # moment here, so posts to one channel keep Slack's pace of about one a second.
    __tablename__ = "alert_channel_pace"

    team_id: str = Field(primary_key=True, max_length=32)
    channel_id: str = Field(primary_key=True, max_length=32)
    next_post_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
