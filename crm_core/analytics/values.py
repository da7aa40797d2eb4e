"""Reading stored scores: the most valuable customers, one customer's value, who is slipping.

Scores come from analytics.customer_scores (each customer's aggregates joined to their
pattern's predictions); the rankings start from the tops a refresh stored
(analytics.rankings) and rank every customer only when those fall short.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func
from sqlmodel import Session, col, select

from crm_core.analytics import rankings
from crm_core.analytics.customer_scores import scores
from crm_core.models import AnalyticsFit, Customer, Interaction, NpsResponse, Purchase, ScoreRank
from crm_core.models.types import as_utc


@dataclass(frozen=True)
class CustomerValue:
    """A customer's stored scores."""

    customer_id: int
    name: str
    owner_user_id: str | None
    segment: str | None
    frequency: int
    clv: float
    p_alive: float | None
    value_at_risk: float | None
    expected_purchases: float | None


@dataclass(frozen=True)
class ChurnReason:
    """Why a customer looks at risk: their rhythm, their last answer, their last touch."""

    orders: int
    last_purchase_at: datetime | None
    days_since_last_purchase: int | None
    usual_gap_days: float | None  # mean days between purchases; None with one purchase
    last_nps: int | None
    last_nps_at: datetime | None
    last_interaction_at: datetime | None
    last_interaction_kind: str | None


@dataclass(frozen=True)
class AtRisk:
    value: CustomerValue
    reason: ChurnReason


@dataclass(frozen=True)
class ValueTotals:
    """Totals, each over the customers it names.

    customers, clv: every scored customer and their predicted CLV. value_at_risk: the
    expected loss CLV x (1 - P(alive)) summed over every scored customer (most of it from
    customers who are not "at risk"). at_risk: the customers whose P(alive) is under the
    threshold; at_risk_clv and at_risk_value: their CLV and their value at risk only.
    """

    customers: int
    clv: float
    value_at_risk: float
    at_risk: int
    at_risk_clv: float = 0.0
    at_risk_value: float = 0.0


def _values_query(team_id: str):
    score = scores(team_id)
    query = select(
        score.c.customer_id,
        Customer.name,
        Customer.owner_user_id,
        Customer.segment,
        score.c.frequency,
        score.c.clv,
        score.c.p_alive,
        score.c.value_at_risk,
        score.c.expected_purchases,
    ).join(Customer, (col(Customer.id) == score.c.customer_id) & (Customer.team_id == team_id))
    return query, score


def _value(row) -> CustomerValue:
    return CustomerValue(*row)


def _ranked(
    session: Session,
    values_query: tuple,
    *,
    team_id: str,
    ranking: str | None,
    order_by: str,
    limit: int,
    where: list,
) -> list[CustomerValue]:
    """The first `limit` rows of `values_query` (from _values_query) meeting `where` by
    `order_by`: from the stored top of `ranking`, or by ranking every customer when the top
    holds too few of them (or when `ranking` is None)."""
    query, score = values_query
    if ranking is not None:
        stored = session.exec(
            query.join(
                ScoreRank,
                (col(ScoreRank.customer_id) == score.c.customer_id)
                & (ScoreRank.team_id == team_id)
                & (ScoreRank.ranking == ranking),
            )
            .where(*where)
            .order_by(col(ScoreRank.position))
            .limit(limit)
        ).all()
        if not rankings.needs_full_ranking(
            session, team_id=team_id, ranking=ranking, found=len(stored), wanted=limit
        ):
            return [_value(row) for row in stored]
    everyone = query.where(*where).order_by(score.c[order_by].desc(), score.c.customer_id)
    return [_value(row) for row in session.exec(everyone.limit(limit)).all()]


def top_by_clv(
    session: Session,
    *,
    team_id: str,
    limit: int = 10,
    segment: str | None = None,
    owner_user_id: str | None = None,
) -> list[CustomerValue]:
    """The customers with the highest predicted CLV, optionally of one segment or owner."""
    where = []
    if segment:
        where.append(func.lower(Customer.segment) == segment.lower())
    if owner_user_id:
        where.append(Customer.owner_user_id == owner_user_id)
    return _ranked(
        session,
        _values_query(team_id),
        team_id=team_id,
        ranking=rankings.CLV,
        order_by="clv",
        limit=limit,
        where=where,
    )


def all_clv(session: Session, *, team_id: str) -> list[float]:
    """Every scored customer's CLV, for a distribution chart."""
    return list(session.exec(select(scores(team_id).c.clv)).all())


def customer_value(session: Session, *, team_id: str, customer_id: int) -> CustomerValue | None:
    """One customer's scores, or None when the last refresh did not score them."""
    query, score = _values_query(team_id)
    row = session.exec(query.where(score.c.customer_id == customer_id)).first()
    return _value(row) if row else None


def customer_values(
    session: Session, *, team_id: str, customer_ids: list[int]
) -> dict[int, CustomerValue]:
    """Several customers' scores by id; those the last refresh did not score are left out."""
    if not customer_ids:
        return {}
    query, score = _values_query(team_id)
    rows = session.exec(query.where(score.c.customer_id.in_(customer_ids))).all()
    return {value.customer_id: value for value in map(_value, rows)}


def value_totals(
    session: Session, *, team_id: str, alive_threshold: float, fit: AnalyticsFit | None = None
) -> ValueTotals:
    """Customers scored and their CLV and value at risk; the at-risk customers and theirs.

    Read from the fit (the workspace's latest) when its refresh stored them for this
    threshold, as the stored rankings are, so an answer adds up no million rows while Slack
    waits; otherwise one GROUP-less sum over the scores, the at-risk sums filtered to
    P(alive) under `alive_threshold`.
    """
    if (
        fit is not None
        and fit.total_clv is not None
        and fit.at_risk_clv is not None
        and fit.at_risk_threshold == alive_threshold
    ):
        return ValueTotals(
            fit.customers,
            fit.total_clv,
            fit.total_value_at_risk or 0.0,
            fit.at_risk_customers or 0,
            fit.at_risk_clv,
            fit.at_risk_value_at_risk or 0.0,
        )
    score = scores(team_id)
    risky = score.c.p_alive < alive_threshold
    customers, clv, value_at_risk, at_risk, at_risk_clv, at_risk_value = session.exec(
        select(
            func.count(),
            func.coalesce(func.sum(score.c.clv), 0.0),
            func.coalesce(func.sum(score.c.value_at_risk), 0.0),
            func.coalesce(func.sum(case((risky, 1), else_=0)), 0),
            func.coalesce(func.sum(case((risky, score.c.clv), else_=0.0)), 0.0),
            func.coalesce(func.sum(case((risky, score.c.value_at_risk), else_=0.0)), 0.0),
        )
    ).one()
    return ValueTotals(
        int(customers),
        float(clv),
        float(value_at_risk),
        int(at_risk),
        float(at_risk_clv),
        float(at_risk_value),
    )


def at_risk(
    session: Session,
    *,
    fit: AnalyticsFit,
    alive_threshold: float,
    limit: int = 10,
    now: datetime,
    owner_user_id: str | None = None,
    segment: str | None = None,
) -> list[AtRisk]:
    """Customers whose P(alive) is under the threshold, most value at risk first, from the
    scores of `fit` (the workspace's latest), optionally of one owner or segment."""
    team_id = fit.team_id
    query, score = _values_query(team_id)
    where = [score.c.p_alive < alive_threshold]
    if owner_user_id:
        where.append(Customer.owner_user_id == owner_user_id)
    if segment:
        where.append(func.lower(Customer.segment) == segment.lower())
    # The stored ranking holds the customers under the fit's threshold: a higher one needs all.
    stored = fit.at_risk_threshold is not None and alive_threshold <= fit.at_risk_threshold
    values = _ranked(
        session,
        (query, score),
        team_id=team_id,
        ranking=rankings.VALUE_AT_RISK if stored else None,
        order_by="value_at_risk",
        limit=limit,
        where=where,
    )
    reasons = churn_reasons(
        session, team_id=team_id, customer_ids=[v.customer_id for v in values], now=now
    )
    return [AtRisk(v, reasons[v.customer_id]) for v in values]


def churn_reasons(
    session: Session, *, team_id: str, customer_ids: list[int], now: datetime
) -> dict[int, ChurnReason]:
    """For each customer: purchase rhythm against the time since the last, last NPS, last touch."""
    if not customer_ids:
        return {}
    purchases = {
        customer_id: (orders, as_utc(first) if first else None, as_utc(last) if last else None)
        for customer_id, orders, first, last in session.exec(
            select(
                Purchase.customer_id,
                func.count(),
                func.min(Purchase.purchased_at),
                func.max(Purchase.purchased_at),
            )
            .where(
                Purchase.team_id == team_id,
                col(Purchase.customer_id).in_(customer_ids),
                Purchase.amount >= 0,
            )
            .group_by(Purchase.customer_id)
        ).all()
    }
    nps = _latest(session, NpsResponse, NpsResponse.responded_at, team_id, customer_ids)
    touches = _latest(session, Interaction, Interaction.occurred_at, team_id, customer_ids)
    reasons = {}
    for customer_id in customer_ids:
        orders, first, last = purchases.get(customer_id, (0, None, None))
        answer, touch = nps.get(customer_id), touches.get(customer_id)
        reasons[customer_id] = ChurnReason(
            orders=orders,
            last_purchase_at=last,
            days_since_last_purchase=(now - last).days if last else None,
            usual_gap_days=(last - first).days / (orders - 1)
            if orders > 1 and first and last
            else None,
            last_nps=answer.score if answer else None,
            last_nps_at=answer.responded_at if answer else None,
            last_interaction_at=touch.occurred_at if touch else None,
            last_interaction_kind=touch.kind if touch else None,
        )
    return reasons


def _latest(session: Session, table, when, team_id: str, customer_ids: list[int]) -> dict:
    newest = (
        select(table.customer_id, func.max(when).label("at"))
        .where(table.team_id == team_id, col(table.customer_id).in_(customer_ids))
        .group_by(table.customer_id)
        .subquery()
    )
    rows = session.exec(
        select(table).join(
            newest, (table.customer_id == newest.c.customer_id) & (when == newest.c.at)
        )
    ).all()
    return {row.customer_id: row for row in rows}
