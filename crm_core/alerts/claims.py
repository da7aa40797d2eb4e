"""Exactly one post per subscription and slot, whatever runs, restarts or fails.

Every scheduled post is a row of alert_delivery, unique per (subscription, slot). A scheduler
inserts the row (ON CONFLICT DO NOTHING) before it builds or posts anything: of several
instances, or overlapping runs, one gets the row and the others move on. The row then goes

    claimed -> posting -> sent          (or skipped: nothing new, the subscription is quiet)
                       -> failed -> (uncertain after a backoff) -> ... -> gave_up

Every change is a compare-and-set on (status, claimed_by), so a process that lost its claim
cannot overwrite the one that took over. A claim carries a lease: a process killed while
`claimed` leaves a row another tick re-claims when the lease ends. One killed while
`posting`, or an attempt that failed (its answer may have been lost after Slack posted),
may or may not have posted: that row comes back as `uncertain`, and the poster looks for
the message (by its metadata) in the channel before posting again.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, and_, func, or_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from crm_core.alerts.subscriptions import schedule_of
from crm_core.db import unit_of_work
from crm_core.models import AlertDelivery, AlertSubscription

LEASE = timedelta(minutes=5)
# Waits before the 2nd, 3rd, ... attempt; after the last the delivery is given up and reported.
BACKOFF = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=15), timedelta(hours=1))
# Slack errors no retry can mend: the subscriber must act.
PERMANENT_ERRORS = frozenset(
    {
        "channel_not_found",
        "not_in_channel",
        "is_archived",
        "channel_is_archived",
        "restricted_action",
        "invalid_auth",
        "account_inactive",
        "token_revoked",
        "missing_scope",
        "not_installed",
        "shared_channel_not_allowed",
    }
)


def this_instance() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass(frozen=True)
class Claim:
    delivery_id: int
    team_id: str
    subscription_id: int
    slot_at: datetime
    attempts: int
    uncertain: bool  # a previous attempt may have posted: look before posting


def due_slot(
    subscription: AlertSubscription, *, now: datetime, grace: timedelta
) -> datetime | None:
    """The newest slot not older than the grace period (and not before the subscription)."""
    start = max(subscription.created_at, now - grace)
    slots = schedule_of(subscription).slots_between(start, now)
    return slots[-1] if slots else None


def claim_due(
    engine: Engine, *, now: datetime, grace: timedelta, instance: str, every: bool = False
) -> list[Claim]:
    """Claim every delivery this process should make now: new slots, retries whose backoff
    has passed, and claims whose holder stopped (lease over). With `every`, each active
    subscription is due now (a slot at the current minute: still once per minute)."""
    claims: list[Claim] = []
    with unit_of_work(engine) as session:
        subscriptions = session.exec(
            select(AlertSubscription).where(col(AlertSubscription.active))
        ).all()
        taken = {
            (subscription_id, slot_at)
            for subscription_id, slot_at in session.exec(
                select(AlertDelivery.subscription_id, AlertDelivery.slot_at).where(
                    col(AlertDelivery.slot_at) >= now - grace - timedelta(days=1)
                )
            ).all()
        }
        due = []
        for subscription in subscriptions:
            slot = (
                now.replace(second=0, microsecond=0)
                if every
                else due_slot(subscription, now=now, grace=grace)
            )
            if slot is not None and (subscription.id, slot) not in taken:
                due.append((subscription, slot))
    insert = postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert
    for subscription, slot in due:
        with unit_of_work(engine) as session:
            row = session.execute(
                insert(AlertDelivery)
                .values(
                    team_id=subscription.team_id,
                    subscription_id=subscription.id,
                    slot_at=slot,
                    status="claimed",
                    attempts=0,
                    claimed_by=instance,
                    lease_until=now + LEASE,
                    failure_reported=False,
                )
                .on_conflict_do_nothing(index_elements=["subscription_id", "slot_at"])
                .returning(AlertDelivery.id)
            ).first()
        if row is not None:
            claims.append(Claim(row[0], subscription.team_id, subscription.id, slot, 0, False))
    claims += _reclaim(engine, now=now, instance=instance)
    return claims


def _reclaim(engine: Engine, *, now: datetime, instance: str) -> list[Claim]:
    """Failed deliveries due for another attempt, and claims whose holder stopped.

    A failed attempt may still have posted (a reply lost to a dropped connection), and so
    may a holder that stopped while posting: both come back uncertain, to be looked for
    in the channel before posting again. A holder that stopped before posting did not post.
    """
    claims = []
    table = AlertDelivery
    for was, becomes in (
        (and_(col(table.status) == "claimed", col(table.lease_until) < now), "claimed"),
        (
            or_(
                and_(col(table.status) == "failed", col(table.next_attempt_at) <= now),
                and_(col(table.status).in_(["posting", "uncertain"]), col(table.lease_until) < now),
            ),
            "uncertain",
        ),
    ):
        with unit_of_work(engine) as session:
            rows = session.execute(
                update(table)
                .where(was)
                .values(status=becomes, claimed_by=instance, lease_until=now + LEASE)
                .returning(
                    table.id, table.team_id, table.subscription_id, table.slot_at, table.attempts
                )
            ).all()
        claims += [Claim(*row, uncertain=becomes == "uncertain") for row in rows]
    return claims


def _move(
    session: Session, claim: Claim, instance: str, *, to: str, frm: tuple[str, ...], **values
) -> bool:
    """Set a delivery's status (and more) if this process still holds it; True if it did."""
    row = session.execute(
        update(AlertDelivery)
        .where(
            AlertDelivery.id == claim.delivery_id,
            col(AlertDelivery.status).in_(frm),
            AlertDelivery.claimed_by == instance,
        )
        .values(status=to, **values)
        .returning(AlertDelivery.id)
    ).first()
    return row is not None


def start_posting(engine: Engine, claim: Claim, *, instance: str, now: datetime) -> bool:
    """Mark the delivery as being posted (committed before the post). False: claim lost."""
    with unit_of_work(engine) as session:
        return _move(
            session,
            claim,
            instance,
            to="posting",
            frm=("claimed", "uncertain"),
            lease_until=now + LEASE,
        )


def finish(
    engine: Engine,
    claim: Claim,
    *,
    instance: str,
    now: datetime,
    posted_ts: str | None,
    total_value_at_risk: float | None,
    customer_ids: list[int] | None,
) -> bool:
    """Record a post (its ts) or, with posted_ts None, a quiet skip; with what it said."""
    with unit_of_work(engine) as session:
        return _move(
            session,
            claim,
            instance,
            to="sent" if posted_ts else "skipped",
            frm=("claimed", "posting", "uncertain"),
            message_ts=posted_ts,
            finished_at=now,
            total_value_at_risk=total_value_at_risk,
            customer_ids=customer_ids,
            attempts=claim.attempts + (1 if posted_ts else 0),
            lease_until=None,
        )


def fail(engine: Engine, claim: Claim, *, instance: str, now: datetime, error: str) -> str:
    """Record a failed attempt: retried after a backoff, or given up. Returns the new status."""
    attempts = claim.attempts + 1
    permanent = error in PERMANENT_ERRORS or attempts > len(BACKOFF)
    status = "gave_up" if permanent else "failed"
    with unit_of_work(engine) as session:
        _move(
            session,
            claim,
            instance,
            to=status,
            frm=("claimed", "posting", "uncertain"),
            attempts=attempts,
            last_error=error[:500],
            next_attempt_at=None if permanent else now + BACKOFF[attempts - 1],
            finished_at=now if permanent else None,
            lease_until=None,
        )
    return status


def previous_post(
    session: Session, *, subscription_id: int, before: datetime
) -> AlertDelivery | None:
    """The subscription's last post (or quiet skip) before a slot: what "new" is measured by."""
    return session.exec(
        select(AlertDelivery)
        .where(
            AlertDelivery.subscription_id == subscription_id,
            col(AlertDelivery.status).in_(["sent", "skipped"]),
            col(AlertDelivery.slot_at) < before,
        )
        .order_by(col(AlertDelivery.slot_at).desc())
        .limit(1)
    ).first()


def latest_deliveries(session: Session, *, team_id: str) -> dict[int, AlertDelivery]:
    """Each subscription's newest delivery, whatever its outcome, in one query."""
    newest = (
        select(AlertDelivery.subscription_id, func.max(AlertDelivery.slot_at).label("slot_at"))
        .where(AlertDelivery.team_id == team_id)
        .group_by(AlertDelivery.subscription_id)
        .subquery()
    )
    rows = session.exec(
        select(AlertDelivery).join(
            newest,
            (col(AlertDelivery.subscription_id) == newest.c.subscription_id)
            & (col(AlertDelivery.slot_at) == newest.c.slot_at),
        )
    ).all()
    return {row.subscription_id: row for row in rows}


def failures_to_report(engine: Engine) -> list[AlertDelivery]:
    """Given-up deliveries whose subscriber has not been told yet, each taken once."""
    with unit_of_work(engine) as session:
        rows = session.execute(
            update(AlertDelivery)
            .where(col(AlertDelivery.status) == "gave_up", ~col(AlertDelivery.failure_reported))
            .values(failure_reported=True)
            .returning(AlertDelivery.id)
        ).all()
        ids = [row[0] for row in rows]
        if not ids:
            return []
        return list(session.exec(select(AlertDelivery).where(col(AlertDelivery.id).in_(ids))).all())
