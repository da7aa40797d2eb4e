"""The churn digest: who is slipping away, what they are worth, who owns them, and why.

Read from stored scores only (a digest never fits a model). A customer is at risk when the
probability of being alive is under the threshold, or when they are overdue against their
own rhythm: the time since their last purchase is more than OVERDUE_FACTOR times their usual
gap between purchases (for a one-time buyer, who has none, the population's typical gap).
They are ranked by value at risk, those not in the previous post first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from crm_core.alerts.feedback import hidden_customers
from crm_core.analytics.customer_scores import scores
from crm_core.analytics.scoring import latest_fit
from crm_core.analytics.values import AtRisk, churn_reasons, customer_values
from crm_core.models import AlertDelivery, AlertSubscription, AnalyticsFit, Customer

OVERDUE_FACTOR = 2.0
# Customers listed in one post; the header counts them all.
LISTED = 10
# At-risk customers remembered per post for "new since the last alert" (the most valuable).
REMEMBERED = 5_000


@dataclass(frozen=True)
class DigestFilter:
    min_value_at_risk: float = 0.0
    owner_user_id: str | None = None
    segment: str | None = None

    @classmethod
    def of(cls, subscription: AlertSubscription) -> DigestFilter:
        return cls(subscription.min_value_at_risk, subscription.owner_user_id, subscription.segment)


@dataclass(frozen=True)
class DigestLine:
    at_risk: AtRisk
    new: bool  # not in the previous post
    overdue: bool  # past their usual gap, whatever P(alive) says


@dataclass(frozen=True)
class Digest:
    fit: AnalyticsFit | None  # None: no scores yet
    customers: int  # at risk and matching the filter
    total_value_at_risk: float
    previous_total: float | None  # the last post's total; None before the first
    new_customers: int
    lines: list[DigestLine]
    customer_ids: list[int]  # to remember for the next post (the REMEMBERED most valuable)
    hidden: int  # left out by reps' feedback

    @property
    def changed(self) -> bool:
        """Worth a full post: a customer at risk that the last post did not name."""
        return self.previous_total is None or self.new_customers > 0

    @property
    def change(self) -> float | None:
        if self.previous_total is None:
            return None
        return self.total_value_at_risk - self.previous_total


@dataclass(frozen=True)
class AtRiskRow:
    customer_id: int
    value_at_risk: float
    overdue: bool
    owner_user_id: str | None
    segment: str | None


@dataclass(frozen=True)
class RiskSnapshot:
    """Every customer of a workspace at risk now, most value at risk first, less those reps
    hid: read once and shared by all the subscriptions a scheduler tick delivers."""

    fit: AnalyticsFit | None
    rows: list[AtRiskRow]
    hidden: int


def at_risk_snapshot(
    session: Session, *, team_id: str, alive_threshold: float, now: datetime
) -> RiskSnapshot:
    fit = latest_fit(session, team_id=team_id)
    if fit is None:
        return RiskSnapshot(None, [], 0)
    hidden = hidden_customers(session, team_id=team_id, now=now)
    score = scores(team_id).c
    overdue = (score.frequency > 0) & (
        score.frequency * (score.age - score.recency) > OVERDUE_FACTOR * score.recency
    )
    gap = typical_gap(session, team_id=team_id)
    if gap is not None:  # one-time buyers have no rhythm of their own: the population's
        overdue = overdue | ((score.frequency == 0) & (score.age > OVERDUE_FACTOR * gap))
    value = func.coalesce(score.value_at_risk, 0.0)
    rows = session.exec(
        select(score.customer_id, value, overdue, Customer.owner_user_id, Customer.segment)
        .join(Customer, col(Customer.id) == score.customer_id)
        .where((score.p_alive < alive_threshold) | overdue)
        .order_by(value.desc())
    ).all()
    kept = [
        AtRiskRow(r[0], float(r[1]), bool(r[2]), r[3], r[4]) for r in rows if r[0] not in hidden
    ]
    return RiskSnapshot(fit, kept, len(hidden))


def typical_gap(session: Session, *, team_id: str) -> float | None:
    """The population's usual gap between purchases, in the fit's time unit: the mean of the
    repeat buyers' own gaps (recency / frequency); None without a repeat buyer."""
    score = scores(team_id).c
    gap = session.exec(
        select(func.avg(score.recency * 1.0 / score.frequency)).where(score.frequency > 0)
    ).one()
    return None if gap is None else float(gap)


def build_digest(
    session: Session,
    *,
    team_id: str,
    alive_threshold: float,
    now: datetime,
    only: DigestFilter = DigestFilter(),
    previous: AlertDelivery | None = None,
    listed: int = LISTED,
    snapshot: RiskSnapshot | None = None,
) -> Digest:
    """The digest for a workspace (and a subscription's filter), against its previous post."""
    if snapshot is None:
        snapshot = at_risk_snapshot(
            session, team_id=team_id, alive_threshold=alive_threshold, now=now
        )
    previous_ids = set(previous.customer_ids or []) if previous else set()
    previous_total = previous.total_value_at_risk if previous else None
    if snapshot.fit is None:
        return Digest(None, 0, 0.0, previous_total, 0, [], [], 0)
    segment = only.segment.lower() if only.segment else None
    rows = [
        row
        for row in snapshot.rows
        if row.value_at_risk >= only.min_value_at_risk
        and (only.owner_user_id is None or row.owner_user_id == only.owner_user_id)
        and (segment is None or (row.segment or "").lower() == segment)
    ]
    new = [row for row in rows if row.customer_id not in previous_ids]
    # New ones first, each group by value at risk (the snapshot's order).
    chosen = new[:listed]
    chosen += [row for row in rows if row.customer_id in previous_ids][: listed - len(chosen)]
    return Digest(
        fit=snapshot.fit,
        customers=len(rows),
        total_value_at_risk=sum(row.value_at_risk for row in rows),
        previous_total=previous_total,
        new_customers=len(new),  # with no previous post, all of them
        lines=_lines(session, team_id, chosen, previous_ids, now),
        customer_ids=[row.customer_id for row in rows[:REMEMBERED]],
        hidden=snapshot.hidden,
    )


def _lines(
    session: Session,
    team_id: str,
    chosen: list[AtRiskRow],
    previous_ids: set[int],
    now: datetime,
) -> list[DigestLine]:
    ids = [row.customer_id for row in chosen]
    values = customer_values(session, team_id=team_id, customer_ids=ids)
    reasons = churn_reasons(session, team_id=team_id, customer_ids=ids, now=now)
    return [
        DigestLine(
            AtRisk(values[row.customer_id], reasons[row.customer_id]),
            row.customer_id not in previous_ids,
            row.overdue,
        )
        for row in chosen
        if row.customer_id in values
    ]
