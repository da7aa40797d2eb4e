"""Retention and churn rates per month or quarter, and a cohort retention table.

"Active": a customer is active at a moment t when they made a purchase in the
`active_window_days` days before t, i.e. in [t - window, t). A purchase is an order row with a
non-negative amount; refunds are not activity. Only when the workspace sets
analytics.active_means to "purchases+inbound" do interactions count too, and then only the
kinds in which the customer took part (INBOUND_KINDS: calls and meetings). Emails are left
out: an interaction records no direction, and an outreach email we sent says nothing about
the customer; notes are our own writing. Periods are the workspace's calendar months or
quarters (in its time zone, `zone`), [start, end).

Per period, the textbook customer retention rate CRR = (E - N) / S (DESIGN.md):

- at_start S = customers active at the period's start, at_end E = active at its end;
- new = customers whose first purchase ever falls in the period; N = those of them still
  active at the period's end (new_at_end);
- retention = (E - N) / S, churn = 1 - retention (None when S = 0).

N is the usual "new customers" whenever the window is at least as long as the period (every
new customer is then still active at its end). With a shorter window, a new customer may have
lapsed again by the end; such a customer is not in E, so subtracting them would count them
twice and could push retention below 0.

Customers inactive at the start who come back by the end (reactivated) are neither retained
nor new: they are reported apart and left out of E, so retention = (E - R - N) / S stays
between 0 and 1 (it is then the share of customers active at the start still active at the
end; without reactivations it is exactly the textbook formula).

Cohort retention: a customer's cohort is the month (in `zone`) of their first purchase; the
share for cohort c and offset k is (customers of c who purchased in month c + k) / (size of
c). The month containing `now` is still running: its cells (cohort + k = now's month) count
purchases to date only, and are marked so (`to_date`), not read as a final figure.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import TYPE_CHECKING

import numpy as np
from sqlalchemy import and_, case, func, select, union_all
from sqlmodel import Session, col

from crm_core.analytics.periods import (
    local_month_index,
    month_index,
    month_label,
    periods_before,
    require_aware,
    require_period,
)
from crm_core.errors import InvalidInput
from crm_core.models import Interaction, Purchase
from crm_core.models.interaction import InteractionKind
from crm_core.models.types import as_utc

if TYPE_CHECKING:
    import pandas as pd

MAX_PERIODS = 120
ACTIVE_MEANS = ("purchases", "purchases+inbound")
# Interactions that show the customer taking part (they spoke to us), as opposed to emails
# we may have sent unanswered and notes we wrote.
INBOUND_KINDS = (InteractionKind.call, InteractionKind.meeting)


@dataclass(frozen=True)
class RetentionPeriod:
    """Customers active at the start and end of a period, new ones, retention and churn."""

    label: str
    start: datetime
    end: datetime
    at_start: int
    at_end: int
    new: int
    new_at_end: int
    reactivated: int
    retention: float | None
    churn: float | None


@dataclass(frozen=True, eq=False)
class CohortRetention:
    """Shares (rows: cohort month "2026-01", columns: months since, 0..) and cohort sizes.

    A cell is NaN when month cohort + k is still in the future; a cohort without customers
    has size 0 and a row of NaN. `to_date` is the running month's label: the cells of that
    month (cohort + k = to_date, one per row) count its purchases so far, not the whole month.
    """

    shares: pd.DataFrame
    sizes: pd.Series
    to_date: str | None = None

    def is_to_date(self, cohort: str, k: int) -> bool:
        """Whether the cell (cohort, k) is the running month, counted to date."""
        if self.to_date is None:
            return False
        year, month = (int(part) for part in cohort.split("-"))
        later = year * 12 + month - 1 + int(k)
        return month_label(later) == self.to_date


def retention_rates(
    session: Session,
    *,
    team_id: str,
    period: str = "month",
    periods: int = 12,
    now: datetime,
    active_window_days: int,
    active_means: str = "purchases",
    zone: tzinfo = UTC,
) -> list[RetentionPeriod]:
    """Retention = (E - N) / S and churn = 1 - retention for the last complete periods.

    The `periods` complete months or quarters before the one containing `now`, oldest first;
    the unfinished current period is left out. One query: a GROUP BY customer over the
    purchases and interactions near the boundaries, joined to each customer's first purchase.
    """
    require_period(period)
    now = require_aware("now", now)
    if not isinstance(periods, int) or not 1 <= periods <= MAX_PERIODS:
        raise InvalidInput(f"periods must be a whole number from 1 to {MAX_PERIODS}")
    if not isinstance(active_window_days, int) or active_window_days < 1:
        raise InvalidInput("active_window_days must be a whole number of days, at least 1")
    if active_means not in ACTIVE_MEANS:
        raise InvalidInput(f"active_means must be one of: {', '.join(ACTIVE_MEANS)}")
    chosen = periods_before(now, period=period, count=periods, zone=zone)
    bounds = [p.start for p in chosen] + [chosen[-1].end]
    active, new, new_at_end, kept = _counts(
        session, team_id, bounds, active_window_days, inbound=active_means != "purchases"
    )
    rates = []
    for i, p in enumerate(chosen):
        at_start, at_end = active[i], active[i + 1]
        reactivated = max(at_end - new_at_end[i] - kept[i], 0)
        retention = (at_end - reactivated - new_at_end[i]) / at_start if at_start else None
        churn = None if retention is None else 1 - retention
        rates.append(
            RetentionPeriod(
                p.label,
                p.start,
                p.end,
                at_start,
                at_end,
                new[i],
                new_at_end[i],
                reactivated,
                retention,
                churn,
            )
        )
    return rates


def cohort_retention(
    session: Session, *, team_id: str, months: int = 12, now: datetime, zone: tzinfo = UTC
) -> CohortRetention:
    """Share of each first-purchase cohort buying again k months later, for the last cohorts.

    The cohorts are the `months` calendar months up to and including the one containing
    `now`; purchases after `now` are ignored. The customer-month grid is grouped in SQL.
    """
    import pandas as pd  # here, not above: the chat imports this module on every start

    now = require_aware("now", now)
    if not isinstance(months, int) or not 1 <= months <= MAX_PERIODS:
        raise InvalidInput(f"months must be a whole number from 1 to {MAX_PERIODS}")
    last = month_index(now, zone)
    first = last - months + 1
    month = local_month_index(Purchase.purchased_at, zone=zone, first=first, last=last)
    grid = (
        select(col(Purchase.customer_id).label("customer_id"), month.label("month"))
        .where(_purchases(team_id), col(Purchase.purchased_at) <= now)
        .group_by(Purchase.customer_id, month)
        .cte("grid")
    )
    firsts = (
        select(grid.c.customer_id, func.min(grid.c.month).label("cohort"))
        .group_by(grid.c.customer_id)
        .cte("firsts")
    )
    offset = grid.c.month - firsts.c.cohort
    rows = session.exec(
        select(firsts.c.cohort, offset, func.count())
        .join_from(grid, firsts, grid.c.customer_id == firsts.c.customer_id)
        .where(firsts.c.cohort >= first)
        .group_by(firsts.c.cohort, offset)
    ).all()
    counts = np.zeros((months, months))
    for cohort, k, customers in rows:
        counts[int(cohort) - first, int(k)] = customers
    sizes = counts[:, 0].copy()
    with np.errstate(invalid="ignore", divide="ignore"):
        shares = counts / sizes[:, None]
    observed = np.arange(months)[:, None] + np.arange(months)[None, :] < months
    shares[~observed] = np.nan
    labels = pd.Index([month_label(first + i) for i in range(months)], name="cohort")
    return CohortRetention(
        shares=pd.DataFrame(shares, index=labels, columns=range(months)),
        sizes=pd.Series(sizes.astype(int), index=labels, name="customers"),
        to_date=month_label(last),
    )


def months_of_history(session: Session, *, team_id: str, now: datetime, zone: tzinfo = UTC) -> int:
    """Calendar months from the first purchase's month to `now`'s, both counted (0 without any)."""
    first = session.execute(
        select(func.min(Purchase.purchased_at)).where(_purchases(team_id))
    ).scalar()
    if first is None:
        return 0
    first = as_utc(first)
    return month_index(now, zone) - month_index(first, zone) + 1


def _purchases(team_id: str):
    # An order from this workspace; refunds (negative amounts) are not purchases.
    return and_(Purchase.team_id == team_id, col(Purchase.amount) >= 0)


def _counts(
    session: Session, team_id: str, bounds: list[datetime], window_days: int, *, inbound: bool
) -> tuple[list[int], list[int], list[int], list[int]]:
    # One row per customer with a flag per boundary b (any activity in [b - window, b)) and
    # the first purchase ever, then one row of sums: active per boundary, new per period
    # new per period still active at its end, and active at both ends of each period.
    window = timedelta(days=window_days)
    low, high = bounds[0] - window, bounds[-1]
    parts = [
        select(
            col(Purchase.customer_id).label("customer_id"), col(Purchase.purchased_at).label("at")
        )
        .where(_purchases(team_id))
        .where(col(Purchase.purchased_at) >= low, col(Purchase.purchased_at) < high)
    ]
    if inbound:
        parts.append(
            select(col(Interaction.customer_id), col(Interaction.occurred_at)).where(
                Interaction.team_id == team_id,
                col(Interaction.kind).in_([kind.value for kind in INBOUND_KINDS]),
                col(Interaction.occurred_at) >= low,
                col(Interaction.occurred_at) < high,
            )
        )
    events = (union_all(*parts) if len(parts) > 1 else parts[0]).subquery("events")
    at = events.c.at
    flags = (
        select(
            events.c.customer_id,
            *(
                func.max(case((and_(at >= b - window, at < b), 1), else_=0)).label(f"a{j}")
                for j, b in enumerate(bounds)
            ),
        )
        .group_by(events.c.customer_id)
        .subquery("flags")
    )
    # New customers bought inside [bounds[0], bounds[-1]), so all of them are in `flags`.
    first_purchase = func.min(Purchase.purchased_at)
    firsts = (
        select(col(Purchase.customer_id), first_purchase.label("first"))
        .where(_purchases(team_id))
        .group_by(Purchase.customer_id)
        .having(first_purchase >= bounds[0], first_purchase < bounds[-1])
        .subquery("firsts")
    )
    first, periods = firsts.c.first, list(zip(bounds, bounds[1:], strict=False))
    is_new = [and_(first >= start, first < end) for start, end in periods]
    sums = [func.sum(flags.c[f"a{j}"]) for j in range(len(bounds))]
    sums += [func.sum(case((new, 1), else_=0)) for new in is_new]
    sums += [func.sum(case((new, flags.c[f"a{i + 1}"]), else_=0)) for i, new in enumerate(is_new)]
    sums += [func.sum(flags.c[f"a{i}"] * flags.c[f"a{i + 1}"]) for i in range(len(periods))]
    row = session.exec(
        select(*(func.coalesce(total, 0) for total in sums)).select_from(
            flags.outerjoin(firsts, firsts.c.customer_id == flags.c.customer_id)
        )
    ).one()
    totals, n = [int(value) for value in row], len(periods)
    return (
        totals[: n + 1],
        totals[n + 1 : 2 * n + 1],
        totals[2 * n + 1 : 3 * n + 1],
        totals[3 * n + 1 :],
    )
