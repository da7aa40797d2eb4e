"""Keeping per-customer purchase aggregates (PurchaseSummary) in step with the purchases.

Every purchase recorded through the service updates its customer's row (a purchase in a
period between the first and the last, which may or may not be new, re-reads that customer);
imports and merges rebuild the customers they touch. The workspace's state row records the
newest purchase included: a purchase written any other way is noticed by `is_current` (an
index range scan past that id) and the analytics refresh rebuilds.

A rebuild is one INSERT ... SELECT on both databases: GROUP BY (customer, period) over the
covering index ix_purchase_team_customer_when_value (team, customer, time, amounts: no table
lookup), then per customer. Reading the purchases into numpy instead cost more in the
client (a tuple per purchase, then a row per customer written back) than the database
needs to add them up. Amounts are added in whole cents (they have two decimals), so the
sums are exact on both databases. `aggregates` is the same aggregation over one
index-ordered read, added up in numpy, for an observation end before some purchase (no
table is written then); `aggregates_sql` is it written as plain SQL, kept as the reference
the tests hold the build to.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from sqlalchemy import delete, func, select, text, update
from sqlmodel import Session, col

from crm_core.analytics.summary import period_index, period_index_sql
from crm_core.models import AnalyticsFit, Purchase, PurchaseSummary, PurchaseSummaryState

if TYPE_CHECKING:
    import numpy as np

# A purchase's value in the reporting currency. One written before exchange rates existed
# (reporting_amount NULL) counts as its amount only in a workspace whose purchases are all in
# one currency (written since, they are backfilled: exchange_rates.backfill); amounts in
# different currencies are never added raw. The subquery runs only when such a row is met.
REPORTING_VALUE = (
    "COALESCE(reporting_amount, CASE WHEN currency = (SELECT MIN(o.currency) FROM purchase o "
    "WHERE o.team_id = :team_id HAVING MIN(o.currency) = MAX(o.currency)) THEN amount END, 0)"
)
# Purchases read per chunk by a rebuild (four int64 each).
_CHUNK = 200_000
# The columns of purchase_summary a rebuild computes, in order.
COLUMNS = (
    "customer_id",
    "first_period",
    "last_period",
    "periods",
    "first_period_value",
    "total_value",
    "refunded_value",
)

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
    first_period_value, total_value, refunded_value. With `until_end`, only periods up to
    :end count. Values are in the reporting currency (REPORTING_VALUE).

    Refunds (negative amounts) are no purchase period; they are summed into refunded_value
    (negative) and total_value is net of them, floored at 0. first_period_value is the first
    period's spend, lowered to total_value when refunds exceed the repeat spend, so that
    total_value - first_period_value, the repeat spend net of refunds, is never below 0:
    Gamma-Gamma's monetary value (that over the repeat periods) is floored at 0.
    With `until_moment`, only purchases made by :until count (a scoring as of a past date
    ignores those later in its last period too).
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
            SELECT customer_id, {period} AS p, SUM({REPORTING_VALUE}) AS v FROM purchase
            WHERE team_id = :team_id AND amount >= 0 {chosen}
            GROUP BY customer_id, {period}
        ),
        refunds AS (
            SELECT customer_id, SUM({REPORTING_VALUE}) AS r FROM purchase
            WHERE team_id = :team_id AND amount < 0 {chosen}
            GROUP BY customer_id
        ),
        spans AS (
            SELECT customer_id, MIN(p) AS first_p, MAX(p) AS last_p, COUNT(*) AS n,
                   SUM(v) AS total
            FROM periods GROUP BY customer_id
        ),
        netted AS (
            SELECT s.customer_id, s.first_p, s.last_p, s.n, p.v AS first_v,
                   CASE WHEN s.total + COALESCE(r.r, 0) > 0 THEN s.total + COALESCE(r.r, 0)
                        ELSE 0 END AS net, COALESCE(r.r, 0) AS refunded
            FROM spans s JOIN periods p ON p.customer_id = s.customer_id AND p.p = s.first_p
            LEFT JOIN refunds r ON r.customer_id = s.customer_id
        )
        SELECT customer_id, first_p AS first_period, last_p AS last_period, n AS periods,
               CASE WHEN net < first_v THEN net ELSE first_v END AS first_period_value,
               net AS total_value, refunded AS refunded_value
        FROM netted
    """


def rebuild(
    session: Session, *, team_id: str, unit: str, customer_ids: Iterable[int] | None = None
) -> bool:
    """Recompute the aggregates of some customers (or all) from their purchases.

    Returns whether anything was built (not when the unit was never built and only some
    customers were asked for: the next refresh builds everything)."""
    ids = None if customer_ids is None else sorted({int(i) for i in customer_ids})
    if ids is not None and len(ids) > _WHOLE_WORKSPACE:
        ids = None
    state = session.get(PurchaseSummaryState, team_id)
    if ids is not None and (state is None or state.time_unit != unit):
        return False  # never built in this unit: the next refresh builds everything
    table_filter = PurchaseSummary.team_id == team_id
    if ids is not None:
        table_filter = table_filter & col(PurchaseSummary.customer_id).in_(ids)
    session.execute(delete(PurchaseSummary).where(table_filter))
    # Both databases add up faster than their client can take the purchases (a cursor's
    # tuples or a COPY cost microseconds a row in Python, and writing the rows back as much
    # again): one INSERT ... SELECT, in whole cents.
    dialect = session.get_bind().dialect.name
    session.execute(text(build_sql(dialect, unit, ids)), {"team_id": team_id, "unit": unit})
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
    return True


def aggregates(
    session: Session,
    *,
    team_id: str,
    unit: str,
    customer_ids: list[int] | None = None,
    end: int | None = None,
) -> dict[str, np.ndarray]:
    """The aggregates of a workspace's customers (or of `customer_ids`), as COLUMNS arrays
    ordered by customer_id: what `aggregates_sql` selects, computed from one ordered read.
    With `end`, only periods up to `end` count."""
    import numpy as np

    parts = [_fold(rows) for rows in _customer_chunks(session, team_id, unit, customer_ids, end)]
    if not parts:
        return {name: np.zeros(0, dtype=_dtype(name)) for name in COLUMNS}
    return {name: np.concatenate([part[name] for part in parts]) for name in COLUMNS}


def _dtype(name: str) -> str:
    return "float64" if name.endswith("_value") else "int64"


def _customer_chunks(
    session: Session, team_id: str, unit: str, customer_ids: list[int] | None, end: int | None
) -> Iterator[np.ndarray]:
    """The purchases as (customer_id, period, cents, refund) int64 rows, in chunks that hold
    every purchase of the customers they hold."""
    import numpy as np

    connection = session.connection()
    dialect = connection.dialect.name
    period, chosen, _ = _parts(dialect, unit, customer_ids, end).values()
    # The ORDER BY is the index's own order (named by table, not the casts' output names,
    # which PostgreSQL would sort by): each customer's purchases arrive together.
    sql = (
        f"SELECT CAST(customer_id AS BIGINT), {period}, "
        f"CAST(ROUND({REPORTING_VALUE} * 100) AS BIGINT), "
        "CAST(CASE WHEN amount < 0 THEN 1 ELSE 0 END AS BIGINT) "
        f"FROM purchase WHERE team_id = :team_id {chosen} "
        "ORDER BY purchase.customer_id, purchase.purchased_at"
    )
    reader = _read_postgres if dialect == "postgresql" else _read_sqlite
    carry = np.zeros((0, 4), dtype=np.int64)
    for chunk in reader(connection, sql, team_id):
        rows = np.concatenate([carry, chunk]) if len(carry) else chunk
        # The last customer's purchases may go on in the next chunk: keep them for it.
        cut = int(np.searchsorted(rows[:, 0], rows[-1, 0], side="left"))
        if cut:
            yield rows[:cut]
        carry = rows[cut:]
    if len(carry):
        yield carry


def _parts(dialect: str, unit: str, customer_ids: list[int] | None, end: int | None) -> dict:
    period = f"CAST({period_index_sql(dialect, 'purchased_at', unit)} AS BIGINT)"
    chosen = ""
    if customer_ids is not None:
        chosen = f"AND customer_id IN ({', '.join(str(int(i)) for i in customer_ids)})"
    if end is not None:
        chosen += f" AND {period} <= {int(end)}"
    cents = f"CAST(ROUND({REPORTING_VALUE} * 100) AS BIGINT)"
    return {"period": period, "chosen": chosen, "cents": cents}


def build_sql(dialect: str, unit: str, customer_ids: list[int] | None) -> str:
    """The INSERT ... SELECT that writes the aggregates of a workspace (:team_id) in :unit."""
    sql = _BUILD.format(**_parts(dialect, unit, customer_ids, None))
    if dialect == "sqlite":  # SQLite's two-argument MIN and MAX are LEAST and GREATEST
        sql = sql.replace("GREATEST(", "MAX(").replace("LEAST(", "MIN(")
    return sql


# The first period's cents ride along with its number in one bigint, whose MIN is the first
# period's: p * 2^42 + cents + 2^41 (a period's cents within +-2^41, $21 billion). Refunds
# net as in aggregates_sql. On SQLite the GROUP BY (customer, period) sorts the purchases in
# a temporary B-tree; at 100,000 customers it took 1.0 s where the ordered read into numpy
# and the bulk insert of its rows took 2.1 s.
_BUILD = (
    "INSERT INTO purchase_summary (team_id, customer_id, time_unit, first_period, last_period, "
    "periods, first_period_value, total_value, refunded_value) "
    "SELECT :team_id, customer_id, :unit, first_p, last_p, n, LEAST(net, first_c) / 100.0, "
    "net / 100.0, refunded / 100.0 FROM ("
    "SELECT s.customer_id, first_p, last_p, n, first_c, COALESCE(r.cents, 0) AS refunded, "
    "GREATEST(s.cents + COALESCE(r.cents, 0), 0) AS net FROM ("
    "SELECT customer_id, MIN(p) AS first_p, MAX(p) AS last_p, COUNT(*) AS n, "
    "MIN(p * 4398046511104 + cents + 2199023255552) - MIN(p) * 4398046511104 "
    "- 2199023255552 AS first_c, SUM(cents) AS cents FROM ("
    "SELECT customer_id, {period} AS p, SUM({cents}) AS cents "
    "FROM purchase WHERE team_id = :team_id AND amount >= 0 {chosen} "
    "GROUP BY customer_id, p) AS periods GROUP BY customer_id) AS s "
    "LEFT JOIN (SELECT customer_id, SUM({cents}) AS cents FROM purchase "
    "WHERE team_id = :team_id AND amount < 0 {chosen} GROUP BY customer_id) AS r "
    "ON r.customer_id = s.customer_id) AS netted"
)


def _read_sqlite(connection, sql: str, team_id: str) -> Iterator[np.ndarray]:
    import numpy as np

    cursor = connection.connection.cursor()
    try:
        cursor.execute(sql, {"team_id": team_id})
        while rows := cursor.fetchmany(_CHUNK):
            yield np.array(rows, dtype=np.int64)
    finally:
        cursor.close()


# PostgreSQL's binary COPY row of four non-null bigints: a field count, then length and value.
_COPY_ROW = [("fields", ">i2")]
for _name in ("customer_id", "period", "cents", "refund"):
    _COPY_ROW += [(f"{_name}_length", ">i4"), (_name, ">i8")]
_COPY_HEADER = 19  # signature (11), flags (4), header extension length (4)


def _read_postgres(connection, sql: str, team_id: str) -> Iterator[np.ndarray]:
    """Through COPY ... TO STDOUT in binary: fixed-width rows numpy reads without a Python
    object per value (a cursor's tuples cost more than the aggregation)."""
    import numpy as np

    row = np.dtype(_COPY_ROW)
    raw = connection.connection.driver_connection
    pending: list[bytes] = []
    size, skip = 0, _COPY_HEADER
    with raw.cursor() as cursor:
        statement = f"COPY ({sql.replace(':team_id', '%(team_id)s')}) TO STDOUT (FORMAT BINARY)"
        with cursor.copy(statement, {"team_id": team_id}) as copy:
            for data in copy:
                pending.append(bytes(data))
                size += len(data)
                if size - skip >= _CHUNK * row.itemsize:
                    buffer = b"".join(pending)[skip:]
                    whole = len(buffer) // row.itemsize * row.itemsize
                    yield _columns(np.frombuffer(buffer, dtype=row, count=whole // row.itemsize))
                    pending, size, skip = [buffer[whole:]], len(buffer) - whole, 0
    buffer = b"".join(pending)[skip:]
    count = len(buffer) // row.itemsize  # what is left is the 2-byte trailer
    if count:
        yield _columns(np.frombuffer(buffer, dtype=row, count=count))


def _columns(rows: np.ndarray) -> np.ndarray:
    import numpy as np

    names = ("customer_id", "period", "cents", "refund")
    return np.stack([rows[name].astype(np.int64) for name in names], 1)


def _fold(rows: np.ndarray) -> dict[str, np.ndarray]:
    """The aggregates of the customers in `rows` (all of each one's purchases), as
    aggregates_sql nets refunds: a customer with purchases has a row; their refunds are
    summed into refunded_value, total_value is net of them (at least 0) and
    first_period_value at most total_value."""
    import numpy as np

    refund = rows[:, 3] == 1
    refunds, rows = rows[refund], rows[~refund]
    if not len(rows):  # only refunds: no customer
        return {name: np.zeros(0, dtype=_dtype(name)) for name in COLUMNS}
    order = np.lexsort((rows[:, 1], rows[:, 0]))
    customer, period, cents = rows[order, 0], rows[order, 1], rows[order, 2]
    # One group per (customer, period): its cents summed.
    starts = np.flatnonzero(
        np.r_[True, (customer[1:] != customer[:-1]) | (period[1:] != period[:-1])]
    )
    group_cents = np.add.reduceat(cents, starts)
    group_customer, group_period = customer[starts], period[starts]
    first = np.flatnonzero(np.r_[True, group_customer[1:] != group_customer[:-1]])
    last = np.r_[first[1:], len(starts)] - 1
    customers = group_customer[first]
    total = np.add.reduceat(group_cents, first)
    refunded = np.zeros(len(customers), dtype=np.int64)
    if len(refunds):
        refunds = refunds[np.argsort(refunds[:, 0], kind="stable")]
        who = np.flatnonzero(np.r_[True, refunds[1:, 0] != refunds[:-1, 0]])
        sums, owners = np.add.reduceat(refunds[:, 2], who), refunds[who, 0]
        at = np.minimum(np.searchsorted(customers, owners), len(customers) - 1)
        known = customers[at] == owners  # refunds of a customer with no purchase: no row
        refunded[at[known]] = sums[known]
    net = np.maximum(total + refunded, 0)
    return {
        "customer_id": customers,
        "first_period": group_period[first],
        "last_period": group_period[last],
        "periods": last - first + 1,
        "first_period_value": np.minimum(net, group_cents[first]) / 100,
        "total_value": net / 100,
        "refunded_value": refunded / 100,
    }


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
    """Fold one new purchase into its customer's aggregates, in the reporting currency.

    A refund, or any purchase of a customer with refunds, re-reads that customer: the netting
    (aggregates_sql) needs the first period's spend, which the row no longer holds."""
    state = session.get(PurchaseSummaryState, purchase.team_id)
    if state is None:
        return
    if state.newest_purchase_id is not None and _unnoticed(
        session, purchase.team_id, state, purchase.id
    ):
        return  # something else wrote purchases: the next refresh rebuilds anyway
    unit = state.time_unit
    value = float(
        purchase.amount if purchase.reporting_amount is None else purchase.reporting_amount
    )
    period = period_index(purchase.purchased_at, unit)
    row = session.execute(
        select(PurchaseSummary).where(
            PurchaseSummary.team_id == purchase.team_id,
            PurchaseSummary.customer_id == purchase.customer_id,
        )
    ).scalar_one_or_none()
    if purchase.amount < 0 or (
        row.refunded_value < 0 if row is not None else _has_refunds(session, purchase)
    ):
        session.flush()
        rebuild(session, team_id=purchase.team_id, unit=unit, customer_ids=[purchase.customer_id])
        return
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


def _has_refunds(session: Session, purchase: Purchase) -> bool:
    # A customer's refund before their first purchase (no summary row yet).
    return (
        session.execute(
            select(Purchase.id)
            .where(
                Purchase.team_id == purchase.team_id,
                Purchase.customer_id == purchase.customer_id,
                Purchase.amount < 0,
            )
            .limit(1)
        ).first()
        is not None
    )


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
