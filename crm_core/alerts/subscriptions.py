"""A workspace's alert subscriptions: adding, listing and removing them."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from crm_core.alerts.schedule import CADENCES, Schedule
from crm_core.errors import DuplicateSubscription, InvalidInput, SubscriptionNotFound
from crm_core.models import AlertSubscription, utcnow


def schedule_of(subscription: AlertSubscription) -> Schedule:
    return Schedule(
        cadence=subscription.cadence,
        local_time=subscription.local_time,
        timezone=subscription.timezone,
        weekday=subscription.weekday,
    )


def subscribe(
    session: Session,
    *,
    team_id: str,
    channel_id: str,
    created_by: str,
    schedule: Schedule,
    channel_name: str | None = None,
    min_value_at_risk: float = 0.0,
    owner_user_id: str | None = None,
    segment: str | None = None,
    quiet_when_unchanged: bool = False,
    now: datetime | None = None,
) -> AlertSubscription:
    """Subscribe a channel to the churn digest; the first post is the next slot from now.

    A second subscription of the channel with the same schedule and filters would only post
    the same digest twice: it is refused, naming the one that exists."""
    if schedule.cadence not in CADENCES:
        raise InvalidInput(f"unknown schedule {schedule.cadence!r}: use daily, weekdays or weekly")
    if schedule.cadence == "weekly" and schedule.weekday is None:
        raise InvalidInput("a weekly digest needs its day, e.g. weekly mon")
    if min_value_at_risk < 0:
        raise InvalidInput("the minimum value at risk cannot be negative")
    same = _same_subscription(
        session,
        team_id=team_id,
        channel_id=channel_id,
        schedule=schedule,
        min_value_at_risk=min_value_at_risk,
        owner_user_id=owner_user_id,
        segment=segment,
    )
    if same is not None:
        raise DuplicateSubscription(
            same.id,
            f"this channel already gets that digest: alerts #{same.id}, "
            f"{schedule.describe()}. Change its time or filters to add another, or "
            f"`alerts unsubscribe {same.id}` first",
        )
    subscription = AlertSubscription(
        team_id=team_id,
        channel_id=channel_id,
        channel_name=channel_name,
        created_by=created_by,
        cadence=schedule.cadence,
        weekday=schedule.weekday,
        local_time=schedule.local_time,
        timezone=schedule.timezone,
        min_value_at_risk=min_value_at_risk,
        owner_user_id=owner_user_id,
        segment=segment,
        quiet_when_unchanged=quiet_when_unchanged,
        created_at=now or utcnow(),
    )
    session.add(subscription)
    session.flush()
    return subscription


def _same_subscription(
    session: Session,
    *,
    team_id: str,
    channel_id: str,
    schedule: Schedule,
    min_value_at_risk: float,
    owner_user_id: str | None,
    segment: str | None,
) -> AlertSubscription | None:
    """The channel's active subscription posting the same digest at the same moments."""
    wanted = (
        schedule.cadence,
        schedule.weekday,
        schedule.local_time,
        schedule.timezone,
        min_value_at_risk,
        owner_user_id,
        (segment or "").lower() or None,
    )
    for existing in subscriptions_for_channel(session, team_id=team_id, channel_id=channel_id):
        held = (
            existing.cadence,
            existing.weekday,
            existing.local_time,
            existing.timezone,
            existing.min_value_at_risk,
            existing.owner_user_id,
            (existing.segment or "").lower() or None,
        )
        if held == wanted:
            return existing
    return None


def list_subscriptions(session: Session, *, team_id: str) -> list[AlertSubscription]:
    """The workspace's active subscriptions, oldest first."""
    return list(
        session.exec(
            select(AlertSubscription)
            .where(AlertSubscription.team_id == team_id, col(AlertSubscription.active))
            .order_by(col(AlertSubscription.id))
        ).all()
    )


def get_subscription(session: Session, *, team_id: str, subscription_id: int) -> AlertSubscription:
    subscription = session.get(AlertSubscription, subscription_id)
    if subscription is None or subscription.team_id != team_id or not subscription.active:
        raise SubscriptionNotFound(
            f"there is no alert subscription #{subscription_id}; `alerts list` shows them"
        )
    return subscription


def unsubscribe(session: Session, *, team_id: str, subscription_id: int) -> AlertSubscription:
    """Stop a subscription. Its past deliveries stay, so a restart cannot post them again."""
    subscription = get_subscription(session, team_id=team_id, subscription_id=subscription_id)
    subscription.active = False
    session.add(subscription)
    return subscription


def subscriptions_for_channel(
    session: Session, *, team_id: str, channel_id: str
) -> list[AlertSubscription]:
    """The channel's active subscriptions, oldest first."""
    return list(
        session.exec(
            select(AlertSubscription)
            .where(
                AlertSubscription.team_id == team_id,
                AlertSubscription.channel_id == channel_id,
                col(AlertSubscription.active),
            )
            .order_by(col(AlertSubscription.id))
        ).all()
    )


def stop_all(session: Session, *, team_id: str) -> int:
    """Stop every subscription of a workspace (it uninstalled the app); how many."""
    active = list_subscriptions(session, team_id=team_id)
    for subscription in active:
        subscription.active = False
        session.add(subscription)
    return len(active)
