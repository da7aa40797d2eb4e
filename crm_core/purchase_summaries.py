"""Keeping per-customer purchase aggregates (PurchaseSummary) in step with the purchases.

Every purchase recorded through the service updates its customer's row (a purchase in a
period between the first and the last, which may or may not be new, re-reads that customer);
imports and merges rebuild the customers they touch with one GROUP BY. The workspace's state
row records the newest purchase included: a purchase written any other way is noticed by
`is_current` (an index range scan past that id) and the analytics refresh rebuilds.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete, func, select, text, update
from sqlmodel import Session, col

from crm_core.analytics.summary import period_index, period_index_sql
from crm_core.models import AnalyticsFit, Purchase, PurchaseSummary, PurchaseSummaryState

# Above this many customers a rebuild covers the whole workspace rather than a list of ids.
_WHOLE_WORKSPACE = 5_000


def aggregates_sql(
    dialect: str,
    unit: str,
    *,
    customer_ids: list[int] | None = None,
    until_end: bool = False,
    until_moment: bool = False,
) -> str:
    """SELECT the aggregates of a workspace's customers (:team_id) from their purchases.

    The columns are purchase_summary's: customer_id, first_period, last_period, periods,
    first_period_value, total_value. With `until_end`, only periods up to :end count; with
    `until_moment`, only purchases made by :until (a scoring as of a past date ignores those
    later in its last period too).
    """
    period = period_index_sql(dialect, "purchased_at", unit)
    chosen = ""
    if customer_ids is not None:
        chosen = f"AND customer_id IN ({', '.join(str(int(i)) for i in customer_ids)})"
    if until_end:
        chosen += f" AND {period} <= :end"
    if until_moment:
        chosen += " AND purchased_at <= :until"
    return f"""
        WITH periods AS (
            SELECT customer_id, {period} AS p, SUM(amount) AS v FROM purchase
            WHERE team_id = :team_id AND amount >= 0 {chosen}
            GROUP BY customer_id, {period}
        ),
        spans AS (
            SELECT customer_id, MIN(p) AS first_p, MAX(p) AS last_p, COUNT(*) AS n,
                   SUM(v) AS total
            FROM periods GROUP BY customer_id
        )
        SELECT s.customer_id, s.first_p AS first_period, s.last_p AS last_period,
               s.n AS periods, p.v AS first_period_value, s.total AS total_value
        FROM spans s JOIN periods p ON p.customer_id = s.customer_id AND p.p = s.first_p
    """


def rebuild(
    session: Session, *, team_id: str, unit: str, customer_ids: Iterable[int] | None = None
) -> None:
    """Recompute the aggregates of some customers (or all) from their purchases."""
    ids = None if customer_ids is None else sorted(set(customer_ids))
    if ids is not None and len(ids) > _WHOLE_WORKSPACE:
        ids = None
    state = session.get(PurchaseSummaryState, team_id)
    if ids is not None and (state is None or state.time_unit != unit):
        return  # never built in this unit: the next refresh builds everything
    table_filter = PurchaseSummary.team_id == team_id
    if ids is not None:
        table_filter = table_filter & col(PurchaseSummary.customer_id).in_(ids)
    session.execute(delete(PurchaseSummary).where(table_filter))
    select_sql = aggregates_sql(session.get_bind().dialect.name, unit, customer_ids=ids)
    session.execute(
        text(
            "INSERT INTO purchase_summary (team_id, customer_id, time_unit, first_period, "
            "last_period, periods, first_period_value, total_value) "
            f"SELECT :team_id, customer_id, :unit, first_period, last_period, periods, "
            f"first_period_value, total_value FROM ({select_sql}) AS built"
        ),
        {"team_id": team_id, "unit": unit},
    )
    newest = session.execute(
        select(func.max(Purchase.id)).where(Purchase.team_id == team_id)
    ).scalar()
    if state is None:
        state = PurchaseSummaryState(team_id=team_id, time_unit=unit, newest_purchase_id=newest)
    elif ids is None:
        state.time_unit, state.newest_purchase_id = unit, newest
    else:
        state.newest_purchase_id = max(state.newest_purchase_id or 0, newest or 0) or None
    session.add(state)
    session.flush()


def rebuild_touched(session: Session, *, team_id: str, customer_ids: Iterable[int]) -> None:
    """After an import or a merge: rebuild the customers whose purchases changed."""
    state = session.get(PurchaseSummaryState, team_id)
    if state is not None:
        rebuild(session, team_id=team_id, unit=state.time_unit, customer_ids=customer_ids)


def outdate_fits(session: Session, *, team_id: str) -> None:
    """Make the workspace's fits stale, so the next request refreshes: purchases they saw
    went away or moved (a merge, an undone purchase), which no newer purchase id shows."""
    session.execute(
        update(AnalyticsFit)
        .where(col(AnalyticsFit.team_id) == team_id)
        .values(watermark_purchase_id=None)
    )


def note_purchase(session: Session, purchase: Purchase) -> None:
    """Fold one new purchase into its customer's aggregates (refunds are no purchase)."""
    state = session.get(PurchaseSummaryState, purchase.team_id)
    if state is None:
        return
    if state.newest_purchase_id is not None and _unnoticed(
        session, purchase.team_id, state, purchase.id
    ):
        return  # something else wrote purchases: the next refresh rebuilds anyway
    if purchase.amount < 0:  # a refund changes no aggregate, but it is accounted for
        _include(session, state, purchase)
        return
    unit, value = state.time_unit, float(purchase.amount)
    period = period_index(purchase.purchased_at, unit)
    row = session.execute(
        select(PurchaseSummary).where(
            PurchaseSummary.team_id == purchase.team_id,
            PurchaseSummary.customer_id == purchase.customer_id,
        )
    ).scalar_one_or_none()
    if row is None:
        session.add(
            PurchaseSummary(
                team_id=purchase.team_id,
                customer_id=purchase.customer_id,
                time_unit=unit,
                first_period=period,
                last_period=period,
                periods=1,
                first_period_value=value,
                total_value=value,
            )
        )
    elif period > row.last_period:
        row.last_period, row.periods, row.total_value = (
            period,
            row.periods + 1,
            row.total_value + value,
        )
    elif period < row.first_period:
        row.first_period, row.first_period_value = period, value
        row.periods, row.total_value = row.periods + 1, row.total_value + value
    elif period in (row.first_period, row.last_period):
        row.total_value += value
        if period == row.first_period:
            row.first_period_value += value
    else:
        session.flush()
        rebuild(session, team_id=purchase.team_id, unit=unit, customer_ids=[purchase.customer_id])
        return
    if row is not None:
        session.add(row)
    _include(session, state, purchase)


def _include(session: Session, state: PurchaseSummaryState, purchase: Purchase) -> None:
    state.newest_purchase_id = max(state.newest_purchase_id or 0, purchase.id or 0)
    session.add(state)
    session.flush()


def newest_included(session: Session, *, team_id: str) -> int | None:
    """The id of the newest purchase the workspace's aggregates include."""
    state = session.get(PurchaseSummaryState, team_id)
    return state.newest_purchase_id if state is not None else None


def is_current(session: Session, *, team_id: str, unit: str) -> bool:
    """True when the aggregates include every purchase of the workspace, in this unit."""
    state = session.get(PurchaseSummaryState, team_id)
    if state is None or state.time_unit != unit:
        return False
    return not _unnoticed(session, team_id, state)


def purchases_after(
    session: Session, *, team_id: str, purchase_id: int | None, besides: int | None = None
) -> bool:
    """Whether the workspace has a purchase with an id above `purchase_id` (other than `besides`).

    The newest id of all workspaces comes straight from the primary key; only when it is newer
    is the workspace's own range looked at (SQLite would otherwise walk its team index).
    """
    newest = session.execute(select(func.max(Purchase.id))).scalar()
    if (
        newest is None
        or newest <= (purchase_id or 0)
        or newest == besides == (purchase_id or 0) + 1
    ):
        return False
    # `team_id || ''` keeps both databases off the team index: the primary key's range past
    # `purchase_id` holds only the few newest purchases.
    query = select(Purchase.id).where(
        Purchase.id > (purchase_id or 0), (Purchase.team_id + "") == team_id
    )
    if besides is not None:
        query = query.where(Purchase.id != besides)
    return session.execute(query.limit(1)).first() is not None


def _unnoticed(
    session: Session, team_id: str, state: PurchaseSummaryState, besides: int | None = None
) -> bool:
    # A purchase newer than the newest included, other than the one being noted.
    return purchases_after(
        session, team_id=team_id, purchase_id=state.newest_purchase_id, besides=besides
    )
