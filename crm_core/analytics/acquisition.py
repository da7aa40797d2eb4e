"""Customer acquisition cost and the CLV:CAC ratio by acquisition channel.

CAC of a channel = the sum of its customers' acquisition costs / the number of its customers
whose cost is known. CLV:CAC = their average predicted CLV (stored scores) / CAC; a ratio of
about 3 or more is the usual rule of thumb for a healthy channel.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import Session, col, select

from crm_core.analytics.customer_scores import scores
from crm_core.models import Customer


@dataclass(frozen=True)
class ChannelEconomics:
    channel: str
    customers: int
    with_cost: int
    total_cost: float
    cac: float | None
    average_clv: float | None
    clv_to_cac: float | None


def acquisition_by_channel(session: Session, *, team_id: str) -> list[ChannelEconomics]:
    """One row per acquisition channel (customers without one are left out), biggest first."""
    score = scores(team_id)
    rows = session.exec(
        select(
            Customer.acquisition_channel,
            func.count(),
            func.count(Customer.acquisition_cost),
            func.coalesce(func.sum(Customer.acquisition_cost), 0),
            func.avg(score.c.clv),
        )
        .join(score, score.c.customer_id == col(Customer.id), isouter=True)
        .where(Customer.team_id == team_id, col(Customer.acquisition_channel).is_not(None))
        .group_by(Customer.acquisition_channel)
        .order_by(func.count().desc())
    ).all()
    result = []
    for channel, customers, with_cost, total, average_clv in rows:
        cac = float(total) / with_cost if with_cost else None
        clv = float(average_clv) if average_clv is not None else None
        ratio = clv / cac if clv is not None and cac else None
        result.append(
            ChannelEconomics(channel, customers, with_cost, float(total), cac, clv, ratio)
        )
    return result
