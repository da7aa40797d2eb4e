"""A workspace's customers as the models see them, condensed into their distinct patterns.

BG/NBD predicts from a customer's (x, t_x, T) alone, so a refresh reads every customer's
aggregates once (an id and five numbers each), groups them into the distinct patterns (about
50k for a million customers in weeks), fits and predicts once per pattern, and stores the
predictions per pattern (PatternScore): no per-customer row is written.

The per-customer input is purchase_summary (kept current as purchases arrive) or, for an
observation end before some purchase, a temporary table built the same way from the
purchases up to that end.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import pandas as pd
from sqlalchemy import delete, select
from sqlmodel import Session

from crm_core import purchase_summaries
from crm_core.analytics.summary import period_index
from crm_core.analytics.writing import bulk_insert
from crm_core.models import PatternScore

_EARLIER_END = "scoring_aggregates"
_FETCH = 100_000
# The columns of pattern_score a refresh writes, from the frame of `predictions`.
PREDICTIONS = (
    "periods",
    "first_period",
    "last_period",
    "frequency",
    "recency",
    "T",
    "customers",
    "expected_purchases",
    "p_alive",
    "clv_base",
    "clv_per_order_value",
    "clv_per_revenue",
    "p_no_purchase",
)


@dataclass(frozen=True)
class Condensed:
    """A workspace's customers as of a period, and their distinct (x, t_x, T) patterns.

    `customers` has, per customer: customer_id, periods, first_period, last_period,
    total_value, frequency, recency, T, monetary_value (the mean repeat order value) and
    pattern (its row in `patterns`). `patterns` has periods, first_period, last_period,
    frequency, recency, T and customers (how many share the pattern).
    """

    relation: str
    team_id: str
    end: int
    customers: pd.DataFrame
    patterns: pd.DataFrame


def condense(
    session: Session,
    *,
    team_id: str,
    unit: str,
    observation_end: datetime,
    as_of: bool = False,
) -> Condensed:
    """The workspace's customers as of `observation_end`, read from the freshest aggregates.

    With `as_of` (a past date asked for), purchases made after `observation_end` are left out
    even when they fall in its last period, as lifetimes' observation_period_end does.
    """
    end = period_index(observation_end, unit)
    if not purchase_summaries.is_current(session, team_id=team_id, unit=unit):
        purchase_summaries.rebuild(session, team_id=team_id, unit=unit)
    aggregates = _aggregates(session, "purchase_summary", {"team_id": team_id})
    later = as_of and _purchases_after(session, team_id, observation_end)
    if not later and not (aggregates["last_period"] > end).any():
        return _condensed("purchase_summary", team_id, end, aggregates)
    if not later:
        # Some purchase lies after the end's period: only the purchases themselves can answer.
        earlier = purchase_summaries.aggregates(session, team_id=team_id, unit=unit, end=end)
        return _condensed(_EARLIER_END, team_id, end, _frame(earlier))
    # As of a moment inside its period: the SQL aggregation, cut at that moment.
    moment = observation_end.astimezone(UTC)  # stored naive in UTC on SQLite
    params = {
        "team_id": team_id,
        "end": end,
        "until": moment.replace(tzinfo=None) if _is_sqlite(session) else moment,
    }
    sql = purchase_summaries.aggregates_sql(
        session.get_bind().dialect.name, unit, until_end=True, until_moment=True
    )
    columns = ", ".join(_AGGREGATES)
    earlier = _read(session, f"SELECT {columns} FROM ({sql}) AS built", params, _AGGREGATES)
    return _condensed(_EARLIER_END, team_id, end, earlier)


def _frame(built: dict[str, np.ndarray]) -> pd.DataFrame:
    """Aggregates built in numpy (purchase_summaries.aggregates) as `_aggregates` reads them."""
    return pd.DataFrame({name: built[name] for name in _AGGREGATES})


_AGGREGATES = {
    "customer_id": "int64",
    "periods": "int64",
    "first_period": "int64",
    "last_period": "int64",
    "first_period_value": "float64",
    "total_value": "float64",
}


def _is_sqlite(session: Session) -> bool:
    return session.get_bind().dialect.name == "sqlite"


def _purchases_after(session: Session, team_id: str, moment: datetime) -> bool:
    from crm_core.models import Purchase

    found = session.execute(
        select(Purchase.id)
        .where(Purchase.team_id == team_id, Purchase.purchased_at > moment)
        .limit(1)
    ).first()
    return found is not None


def _aggregates(session: Session, relation: str, params: dict) -> pd.DataFrame:
    return _read(
        session,
        f"SELECT {', '.join(_AGGREGATES)} FROM {relation} WHERE team_id = :team_id",
        params,
        _AGGREGATES,
    )


def _condensed(relation: str, team_id: str, end: int, customers: pd.DataFrame) -> Condensed:
    periods, first, last = (
        customers[name].to_numpy() for name in ("periods", "first_period", "last_period")
    )
    frequency = periods - 1
    # Repeat spend net of refunds (total_value is net), floored at 0: purchase_summaries.
    repeat = customers["total_value"] - customers.pop("first_period_value")
    repeat_value = np.maximum(repeat.to_numpy(), 0.0)
    customers["frequency"] = frequency
    customers["recency"] = (last - first).astype(float)
    customers["T"] = (end - first).astype(float)
    customers["monetary_value"] = np.divide(
        repeat_value, frequency, out=np.zeros(len(customers)), where=frequency > 0
    )
    key = _pattern_key(periods, first, last)
    _, chosen, pattern, counts = np.unique(
        key, return_index=True, return_inverse=True, return_counts=True
    )
    customers["pattern"] = pattern
    periods, first, last = periods[chosen], first[chosen], last[chosen]
    patterns = pd.DataFrame(
        {
            "periods": periods,
            "first_period": first,
            "last_period": last,
            "frequency": periods - 1,
            "recency": (last - first).astype(float),
            "T": (end - first).astype(float),
            "customers": counts,
        }
    )
    return Condensed(relation, team_id, end, customers, patterns)


def _pattern_key(periods: np.ndarray, first: np.ndarray, last: np.ndarray) -> np.ndarray:
    """One int64 per (periods, first, last), equal exactly when all three are (mixed radix
    over the ranges present; a few dozen thousand periods each leave ample room)."""
    if len(periods) == 0:
        return np.zeros(0, dtype=np.int64)
    key = np.zeros(len(periods), dtype=np.int64)
    room = 1
    for values in (last, first, periods):
        low, span = values.min(), int(values.max() - values.min()) + 1
        if room * span >= 2**62:
            raise OverflowError("purchase periods too far apart to tell patterns apart")
        key += (values - low) * room
        room *= span
    return key


def spends(found: Condensed) -> pd.DataFrame:
    """Repeat customers with a positive spend as distinct (x, m) with their counts, for
    Gamma-Gamma: the weighted fit over them is the fit over every customer. m is the repeat
    spend net of refunds over the repeat periods, floored at 0; customers whose repeat
    orders were all free or refunded have m = 0 and are left out, as Gamma-Gamma requires."""
    repeat = found.customers[
        (found.customers["frequency"] > 0) & (found.customers["monetary_value"] > 0)
    ]
    counted = repeat.groupby(["frequency", "monetary_value"], sort=False).size()
    return counted.rename("customers").reset_index()


def per_customer(found: Condensed) -> pd.DataFrame:
    """frequency, recency, T and monetary_value per customer, indexed by customer_id."""
    columns = ["customer_id", "frequency", "recency", "T", "monetary_value"]
    return found.customers[columns].set_index("customer_id").sort_index()


def write_predictions(
    session: Session, found: Condensed, *, fit_id: int, predictions: pd.DataFrame
) -> None:
    """Replace the workspace's pattern_score rows with `predictions` (the PREDICTIONS columns,
    one row per pattern of `found`; NaN P(alive) and P(no purchase) are stored as NULL)."""
    session.execute(delete(PatternScore).where(PatternScore.team_id == found.team_id))
    columns = [predictions[name].to_numpy() for name in PREDICTIONS]
    rows = [
        (found.team_id, fit_id, int(periods), int(first), int(last), int(x), int(rec), int(age))
        + (int(customers), float(expected), _number(alive), float(base), float(m), float(total))
        + (_number(none),)
        for periods, first, last, x, rec, age, customers, expected, alive, base, m, total, none in (
            zip(*columns, strict=True)
        )
    ]
    names = ("team_id", "fit_id", "periods", "first_period", "last_period", "frequency")
    names += ("recency", "age", "customers", "expected_purchases", "p_alive", "clv_base")
    names += ("clv_per_order_value", "clv_per_revenue", "p_no_purchase")
    bulk_insert(session, "pattern_score", names, rows)


def _number(value) -> float | None:
    value = float(value)
    return None if np.isnan(value) else value


def _read(session: Session, sql: str, params: dict, columns: dict[str, str]) -> pd.DataFrame:
    """A query's rows as typed columns, fetched in chunks so no million tuples pile up.

    Through the driver's own cursor: SQLAlchemy's row objects would cost more than the read.
    On PostgreSQL a server-side cursor, so the client never holds the whole result. `sql`
    names its parameters :name.
    """
    connection = session.connection()
    raw = connection.connection
    if connection.dialect.name == "postgresql":
        for name in params:
            sql = sql.replace(f":{name}", f"%({name})s")
        cursor = raw.driver_connection.cursor(name="crm_scoring_read")
    else:
        cursor = raw.cursor()
    parts: list[np.ndarray] = []
    try:
        cursor.execute(sql, params)
        while chunk := cursor.fetchmany(_FETCH):
            parts.append(np.array(chunk, dtype=float))
    finally:
        cursor.close()
    values = np.concatenate(parts) if parts else np.empty((0, len(columns)))
    return pd.DataFrame(
        {name: values[:, i].astype(kind) for i, (name, kind) in enumerate(columns.items())}
    )
