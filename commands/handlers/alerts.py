"""alerts subscribe | list | unsubscribe | preview | test: the daily churn digest's settings."""

from __future__ import annotations

from commands import people, shared_channels
from commands.handlers.analytics import scores_status
from commands.request import Request
from commands.results import (
    AlertDigest,
    AlertList,
    AlertPosted,
    AlertSubscribed,
    AlertSubscriptionLine,
    AlertUnsubscribed,
    Problem,
)
from commands.roles import admin_only
from commands.verbs import (
    ListAlerts,
    PostAlertNow,
    PreviewAlerts,
    SubscribeAlerts,
    UnsubscribeAlerts,
)
from crm_core import audit, directory
from crm_core.alerts import claims, subscriptions
from crm_core.alerts.digest import DigestFilter, build_digest
from crm_core.alerts.schedule import Schedule
from crm_core.models import AlertSubscription


def subscribe(command: SubscribeAlerts, request: Request) -> AlertSubscribed | Problem:
    actor, settings = request.actor, request.settings
    channel_id = people.channel(request, command.channel) if command.channel else actor.channel_id
    if channel_id is None:
        return Problem(
            "which channel? name it, e.g. alerts subscribe #sales-alerts (from Slack, the "
            "channel you type in is the default)"
        )
    if channel_id != actor.channel_id and (
        refused := admin_only(
            request,
            "subscribe",
            "subscribe a channel other than the one you type in",
            f"channel {channel_id}",
        )  # fmt: skip
    ):
        return refused
    channel_name = None
    channel = people.slack_channel(request, channel_id)
    if isinstance(channel, Problem):
        return channel
    if channel is not None:
        if not channel.bot_is_member:
            return Problem(
                f"I'm not in <#{channel.id}>, so I could not post there: invite me first "
                "(type `/invite @CRM` in that channel), then subscribe again"
            )
        if shared_channels.is_closed(request.session, actor.team_id, channel):
            return Problem(shared_channels.needs_allowance(channel, "its churn digest can go"))
        channel_name = channel.name
    elif known := directory.lookup_id(
        request.session, team_id=actor.team_id, kind="channel", slack_id=channel_id
    ):
        channel_name = known.handle
    owner = people.person(request, command.owner) if command.owner else None
    schedule = Schedule(
        cadence=command.cadence,
        local_time=command.time or settings.alerts.default_time,
        timezone=getattr(actor.tz, "key", None) or settings.default_timezone,
        weekday=command.weekday,
    )
    subscription = subscriptions.subscribe(
        request.session,
        team_id=actor.team_id,
        channel_id=channel_id,
        channel_name=channel_name,
        created_by=actor.user_id,
        schedule=schedule,
        min_value_at_risk=command.min_value
        if command.min_value is not None
        else settings.alerts.min_value_at_risk,
        owner_user_id=owner,
        segment=command.segment,
        quiet_when_unchanged=command.quiet,
        now=actor.now,
    )
    audit.record(
        request.session, team_id=actor.team_id, user_id=actor.user_id, action="subscribe",
        target=f"alerts #{subscription.id} to channel {channel_id}", at=actor.now,
    )  # fmt: skip
    undo_id = request.remember("subscribe", subscription)
    return AlertSubscribed(
        subscription, schedule.describe(), schedule.next_slot(actor.now), undo_id
    )


def list_all(command: ListAlerts, request: Request) -> AlertList:
    session, actor = request.session, request.actor
    last = claims.latest_deliveries(session, team_id=actor.team_id)
    items = []
    for subscription in subscriptions.list_subscriptions(session, team_id=actor.team_id):
        schedule = subscriptions.schedule_of(subscription)
        items.append(
            AlertSubscriptionLine(
                subscription,
                schedule.describe(),
                schedule.next_slot(actor.now),
                last.get(subscription.id),
            )
        )
    return AlertList(items)


def unsubscribe(command: UnsubscribeAlerts, request: Request) -> AlertUnsubscribed | Problem:
    subscription = subscriptions.get_subscription(
        request.session, team_id=request.team_id, subscription_id=command.subscription_id
    )
    if refused := _not_here(request, subscription, "unsubscribe", "stop"):
        return refused
    subscriptions.unsubscribe(
        request.session, team_id=request.team_id, subscription_id=subscription.id
    )
    audit.record(
        request.session, team_id=request.team_id, user_id=request.actor.user_id,
        action="unsubscribe", target=f"alerts #{subscription.id}", at=request.actor.now,
    )  # fmt: skip
    return AlertUnsubscribed(subscription, request.remember("unsubscribe", subscription))


def preview(command: PreviewAlerts, request: Request) -> AlertDigest | Problem:
    session, actor = request.session, request.actor
    subscription = _chosen(request, command.subscription_id)
    status = scores_status(request)  # the console refreshes stale scores first; Slack never
    if isinstance(status, Problem):
        return status
    threshold = request.settings.analytics.churn_risk_threshold
    previous = (
        claims.previous_post(session, subscription_id=subscription.id, before=actor.now)
        if subscription is not None
        else None
    )
    digest = build_digest(
        session,
        team_id=actor.team_id,
        alive_threshold=threshold,
        now=actor.now,
        only=DigestFilter.of(subscription) if subscription else DigestFilter(),
        previous=previous,
    )
    return AlertDigest(digest, subscription, threshold, stale=status.stale)


def post_now(command: PostAlertNow, request: Request) -> AlertPosted | Problem:
    subscription = _chosen(request, command.subscription_id)
    if subscription is None:
        return Problem(
            "no alert subscription to test here: subscribe first (alerts subscribe), or name "
            "one (alerts test 3; `alerts list` shows them)"
        )
    if refused := _not_here(request, subscription, "test", "test"):
        return refused
    if request.slack is None:
        return Problem("alerts test posts to Slack, which this console cannot reach; use /crm")
    closed = shared_channels.closed(
        request.session, request.slack, request.team_id, subscription.channel_id
    )
    if closed is not None:
        return Problem(shared_channels.needs_allowance(closed, "its churn digest can go"))
    ts = request.slack.post_alert_now(subscription.id, request.actor.now)
    return AlertPosted(subscription, ts)


def _not_here(
    request: Request, subscription: AlertSubscription, action: str, verb: str
) -> Problem | None:
    """The rule of `alerts subscribe` for a subscription that exists: an admin may act on
    any; a rep only on one of the channel they type in (the refusal is audited)."""
    if subscription.channel_id == request.actor.channel_id:
        return None
    return admin_only(
        request,
        action,
        f"{verb} a subscription of a channel other than the one you type in (alerts "
        f"#{subscription.id} posts to <#{subscription.channel_id}>; type the command there)",
        f"alerts #{subscription.id}",
    )


def _chosen(request: Request, subscription_id: int | None) -> AlertSubscription | None:
    """The subscription named, else this channel's first one, else the workspace's only one
    (the console types in no channel), else None (the whole team)."""
    session, actor = request.session, request.actor
    if subscription_id is not None:
        return subscriptions.get_subscription(
            session, team_id=actor.team_id, subscription_id=subscription_id
        )
    if actor.channel_id:
        here = subscriptions.subscriptions_for_channel(
            session, team_id=actor.team_id, channel_id=actor.channel_id
        )
        if here:
            return here[0]
        return None
    every = subscriptions.list_subscriptions(session, team_id=actor.team_id)
    return every[0] if len(every) == 1 else None
