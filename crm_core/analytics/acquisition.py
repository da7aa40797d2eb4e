"""Customer acquisition cost and the CLV:CAC ratio by acquisition channel.

CAC of a channel = the sum of its customers' acquisition costs / the number of its customers
whose cost is known. CLV:CAC = their average predicted CLV (stored scores) / CAC; a ratio of
about 3 or more is the usual rule of thumb for a healthy channel.

Counts and costs are read live, from one index. The average CLV is each channel's sum kept
by the latest refresh (ChannelValue), unless a scored customer changed after it (a new
channel, a merge): then the scores are added up per channel as they stand.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import delete, func
from sqlmodel import Session, col, select

from crm_core.analytics.customer_scores import scores
from crm_core.analytics.writing import bulk_insert
from crm_core.models import AnalyticsFit, ChannelValue, Customer, PurchaseSummary

if TYPE_CHECKING:
    import numpy as np


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
    channel = col(Customer.acquisition_channel)
    costs = session.exec(
        select(
            channel,
            func.count(),
            func.count(Customer.acquisition_cost),
            func.coalesce(func.sum(Customer.acquisition_cost), 0),
        )
        .where(Customer.team_id == team_id, channel.is_not(None))
        .group_by(channel)
        .order_by(func.count().desc(), channel)
    ).all()
    average_clvs = _stored_averages(session, team_id) or _live_averages(session, team_id)
    result = []
    for name, customers, with_cost, total in costs:
        cac = float(total) / with_cost if with_cost else None
        average_clv = average_clvs.get(name)
        clv = float(average_clv) if average_clv is not None else None
        ratio = clv / cac if clv is not None and cac else None
        result.append(ChannelEconomics(name, customers, with_cost, float(total), cac, clv, ratio))
    return result


def write_channel_values(
    session: Session, *, fit: AnalyticsFit, customer_ids: np.ndarray, clv: np.ndarray
) -> None:
    """Replace the workspace's per-channel CLV sums with those of this refresh's scores."""
    import pandas as pd

    session.execute(delete(ChannelValue).where(ChannelValue.team_id == fit.team_id))
    channels = pd.DataFrame(
        session.exec(
            select(Customer.id, Customer.acquisition_channel).where(
                Customer.team_id == fit.team_id, col(Customer.acquisition_channel).is_not(None)
            )
        ).all(),
        columns=["customer_id", "channel"],
    )
    scored = pd.DataFrame({"customer_id": customer_ids, "clv": clv}).merge(channels)
    sums = scored.groupby("channel")["clv"].agg(["size", "sum"])
    bulk_insert(
        session,
        "channel_value",
        ("team_id", "channel", "fit_id", "customers", "clv"),
        [(fit.team_id, name, fit.id, int(n), float(total)) for name, n, total in sums.itertuples()],
    )


def _stored_averages(session: Session, team_id: str) -> dict[str, float] | None:
    """The latest refresh's average CLV per channel, or None when a scored customer changed
    since (or the refresh kept none)."""
    fit = session.exec(
        select(AnalyticsFit)
        .where(AnalyticsFit.team_id == team_id)
        .order_by(col(AnalyticsFit.id).desc())
        .limit(1)
    ).first()
    if fit is None or fit.watermark_purchase_id is None and fit.purchases:
        return None  # no fit, or one outdated by a merge or an undone purchase
    stored = session.exec(select(ChannelValue).where(ChannelValue.team_id == team_id)).all()
    if not stored or any(row.fit_id != fit.id for row in stored):
        return None
    changed = session.exec(
        select(Customer.id)
        .join(
            PurchaseSummary,
            (col(PurchaseSummary.customer_id) == col(Customer.id))
            & (PurchaseSummary.team_id == team_id),
        )
        .where(Customer.team_id == team_id, col(Customer.updated_at) > fit.fitted_at)
        .limit(1)
    ).first()
    if changed is not None:
        return None
    return {row.channel: row.clv / row.customers for row in stored if row.customers}


def _live_averages(session: Session, team_id: str) -> dict[str, float]:
    """Each channel's average CLV over its customers' scores as they stand now."""
    channel = col(Customer.acquisition_channel)
    score = scores(team_id)
    return dict(
        session.exec(
            select(channel, func.avg(score.c.clv))
            .join_from(score, Customer, col(Customer.id) == score.c.customer_id)
            .where(Customer.team_id == team_id, channel.is_not(None))
            .group_by(channel)
        ).all()
    )
