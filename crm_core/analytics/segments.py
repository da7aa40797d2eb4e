"""RFM scores and named segments per customer, and the Pareto share of revenue.

RFM (Hughes, "Strategic Database Marketing", 1994): per customer who bought, from one SQL
GROUP BY over purchases up to `now`:

- recency_days = whole days since the last purchase; frequency = number of purchases;
- monetary = revenue, net of refunds, in the reporting currency (each purchase's
  reporting_amount, converted at import; a row written before rates existed counts as stored).

A purchase is an order with a non-negative amount; refunds lower monetary but are not
purchases. Customers without a purchase get no scores and are counted apart.

Each of R, F and M is scored 1-5 by quintiles of rank: customers are ranked from worst to
best (rank 1..n) and score = ceil(5 * rank / n). Tied customers share the mean of the ranks
they span (pandas' rank(method="average")), so customers with the same recency, frequency or
revenue get the same score, and identical customers the same segment; a big tie (say, the
many who bought once) lands in the quintile of its middle, not split across several by id.
For R the most recent purchase ranks best.
FM = (F + M) / 2 rounded half up. One customer alone scores 5 on every axis.

Segments follow the widely used R x FM table (Putler, "RFM Analysis for Successful Customer
Segmentation"; e.g. Champions R 4-5 / FM 4-5, Lost R 0-2 / FM 0-2), whose ranges overlap;
here each cell gets exactly one segment (rows R, columns FM 1..5):

    R=5  New             Potential loyalist  Potential loyalist  Champions        Champions
    R=4  Promising       Potential loyalist  Potential loyalist  Champions        Champions
    R=3  About to sleep  About to sleep      Need attention      Loyal            Loyal
    R=2  Hibernating     Hibernating         At risk             At risk          Can't lose them
    R=1  Lost            Lost                At risk             Can't lose them  Can't lose them

Pareto share (the 80/20 rule, Juran after Pareto): customers sorted by revenue, largest
first; the revenue share of the top ceil(x * n) customers, and the smallest number k of
customers whose revenue reaches the target share (80%) of the total, as k / n.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from math import ceil
from typing import TYPE_CHECKING

import numpy as np
from sqlalchemy import Float, case, cast, func, select
from sqlmodel import Session, col

from crm_core.analytics.periods import require_aware
from crm_core.errors import InvalidInput
from crm_core.models import Customer, Purchase

if TYPE_CHECKING:
    import pandas as pd

SEGMENT_GRID = {
    5: ("New", "Potential loyalist", "Potential loyalist", "Champions", "Champions"),
    4: ("Promising", "Potential loyalist", "Potential loyalist", "Champions", "Champions"),
    3: ("About to sleep", "About to sleep", "Need attention", "Loyal", "Loyal"),
    2: ("Hibernating", "Hibernating", "At risk", "At risk", "Can't lose them"),
    1: ("Lost", "Lost", "At risk", "Can't lose them", "Can't lose them"),
}
# Best first: the order summaries are listed in.
SEGMENTS = (
    "Champions",
    "Loyal",
    "Potential loyalist",
    "New",
    "Promising",
    "Need attention",
    "About to sleep",
    "At risk",
    "Can't lose them",
    "Hibernating",
    "Lost",
)
RFM_COLUMNS = ("customer_id", "recency_days", "frequency", "monetary", "r", "f", "m", "fm")


# A purchase's amount in the reporting currency, as every analytics figure adds it.
_REPORTING = func.coalesce(col(Purchase.reporting_amount), col(Purchase.amount))


@dataclass(frozen=True)
class SegmentFigures:
    """One segment: its customers, their share, revenue, revenue share and mean recency."""

    segment: str
    customers: int
    share: float
    revenue: Decimal
    revenue_share: float | None  # None when total revenue is not positive
    average_recency_days: float


@dataclass(frozen=True)
class SegmentSummary:
    """Segments best first (empty ones left out), and how many customers never bought."""

    segments: tuple[SegmentFigures, ...]
    customers: int
    customers_without_purchases: int
    revenue: Decimal


@dataclass(frozen=True)
class ParetoShare:
    """How concentrated revenue is: what the top customers bring, and who brings the target."""

    customers: int
    revenue: Decimal
    top_fraction: float
    top_customers: int
    top_revenue_share: float | None
    target_share: float
    customers_for_target: int | None
    fraction_for_target: float | None


def rfm_segments(session: Session, *, team_id: str, now: datetime) -> pd.DataFrame:
    """One row per customer who bought by `now`: recency, frequency, monetary, scores, segment."""
    import pandas as pd  # here, not above: the chat imports this module on every start

    now = require_aware("now", now)
    bought = col(Purchase.amount) >= 0
    rows = session.exec(
        select(
            Purchase.customer_id,
            func.max(case((bought, Purchase.purchased_at))),
            func.sum(case((bought, 1), else_=0)),
            cast(func.sum(_REPORTING), Float),
        )
        .where(Purchase.team_id == team_id, col(Purchase.purchased_at) <= now)
        .group_by(Purchase.customer_id)
        .having(func.sum(case((bought, 1), else_=0)) > 0)
        .order_by(Purchase.customer_id)
    ).all()
    if not rows:
        empty = {name: pd.Series(dtype="int64") for name in RFM_COLUMNS}
        return pd.DataFrame(empty | {"monetary": pd.Series(dtype="float64")}).assign(segment="")
    ids, last, frequency, monetary = zip(*rows, strict=True)
    since = pd.Timestamp(now) - pd.to_datetime(pd.Series(last), utc=True, format="mixed")
    frame = pd.DataFrame(
        {
            "customer_id": np.array(ids, dtype="int64"),
            "recency_days": since.dt.days.to_numpy(dtype="int64"),
            "frequency": np.array(frequency, dtype="int64"),
            "monetary": np.array(monetary, dtype="float64").round(2),
        }
    )
    frame["r"] = _quintile(-since.dt.total_seconds())
    frame["f"] = _quintile(frame["frequency"])
    frame["m"] = _quintile(frame["monetary"])
    frame["fm"] = (frame["f"] + frame["m"] + 1) // 2
    grid = np.array([SEGMENT_GRID[r] for r in range(1, 6)], dtype=object)
    frame["segment"] = grid[frame["r"] - 1, frame["fm"] - 1]
    return frame


def segment_summary(session: Session, *, team_id: str, now: datetime) -> SegmentSummary:
    """Customers, revenue and mean recency per RFM segment, with revenue shares."""
    frame = rfm_segments(session, team_id=team_id, now=now)
    everyone = session.exec(
        select(func.count()).select_from(Customer).where(Customer.team_id == team_id)
    ).one()[0]
    total = float(frame["monetary"].sum())
    grouped = frame.groupby("segment").agg(
        customers=("customer_id", "size"),
        revenue=("monetary", "sum"),
        recency=("recency_days", "mean"),
    )
    figures = tuple(
        SegmentFigures(
            segment=name,
            customers=int(grouped.at[name, "customers"]),
            share=int(grouped.at[name, "customers"]) / len(frame),
            revenue=_money(grouped.at[name, "revenue"]),
            revenue_share=float(grouped.at[name, "revenue"]) / total if total > 0 else None,
            average_recency_days=float(grouped.at[name, "recency"]),
        )
        for name in SEGMENTS
        if name in grouped.index
    )
    return SegmentSummary(figures, len(frame), max(int(everyone) - len(frame), 0), _money(total))


def pareto_share(
    session: Session, *, team_id: str, top_fraction: float = 0.2, target_share: float = 0.8
) -> ParetoShare:
    """Revenue share of the top `top_fraction` of customers, and the fewest bringing 80%.

    Customers are those with a purchase; revenue is net of refunds, a negative net counted
    as 0. Without customers or revenue the shares are None.
    """
    for name, value in (("top_fraction", top_fraction), ("target_share", target_share)):
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 1:
            raise InvalidInput(f"{name} must be a fraction above 0 and at most 1, e.g. 0.2")
    revenue = session.exec(
        select(cast(func.sum(_REPORTING), Float))
        .where(Purchase.team_id == team_id)
        .group_by(Purchase.customer_id)
        .having(func.sum(case((col(Purchase.amount) >= 0, 1), else_=0)) > 0)
    ).all()
    values = np.sort(np.clip(np.array([r[0] for r in revenue], dtype="float64"), 0, None))[::-1]
    n, total = len(values), float(values.sum())
    top = min(n, max(1, ceil(round(top_fraction * n, 9)))) if n else 0
    if total <= 0:
        return ParetoShare(n, _money(total), top_fraction, top, None, target_share, None, None)
    cumulative = np.cumsum(values)
    needed = int(np.searchsorted(cumulative, target_share * total * (1 - 1e-12))) + 1
    return ParetoShare(
        customers=n,
        revenue=_money(total),
        top_fraction=top_fraction,
        top_customers=top,
        top_revenue_share=float(cumulative[top - 1]) / total,
        target_share=target_share,
        customers_for_target=needed,
        fraction_for_target=needed / n,
    )


def _quintile(values: pd.Series) -> pd.Series:
    import pandas as pd

    # Quintiles of rank 1..n from worst to best; ties share their mean rank, hence one score.
    rank = values.rank(method="average").to_numpy()
    return pd.Series(np.ceil(5 * rank / len(values)).astype("int64"), index=values.index)


def _money(value: float) -> Decimal:
    return Decimal(f"{float(value):.2f}")
