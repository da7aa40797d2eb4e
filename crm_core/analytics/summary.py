"""The RFM summary the BG/NBD and Gamma-Gamma models need, computed by the database.

Per customer, in whole time units (D, W or M) as lifetimes' `summary_data_from_transaction_data`
defines them: purchases are grouped by period (several in one period count once, their
amounts summed); frequency = periods with a purchase - 1; recency = last period - first;
T = observation-end period - first; monetary_value = the mean of the period sums after the
first period (0 when there is none). Weeks run Monday to Sunday, as pandas' "W" periods do.

Refunds (negative amounts) are not purchases and are left out; a zero-amount order is a
purchase (it counts in frequency) but adds nothing to monetary_value.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import text
from sqlmodel import Session

from crm_core.errors import InvalidInput

if TYPE_CHECKING:
    import pandas as pd

UNITS = ("D", "W", "M")


def period_index_sql(dialect: str, column: str, unit: str) -> str:
    """SQL for the integer period of a UTC timestamp: days, Monday-weeks or months since 1970."""
    if unit not in UNITS:
        raise InvalidInput(f"time unit {unit!r} is not one of {', '.join(UNITS)}")
    if dialect == "postgresql":
        days = f"FLOOR(EXTRACT(EPOCH FROM {column}) / 86400)"
        utc = f"({column} AT TIME ZONE 'UTC')"
        months = f"(EXTRACT(YEAR FROM {utc}) * 12 + EXTRACT(MONTH FROM {utc}) - 1)"
    else:
        days = f"CAST(FLOOR(julianday({column}) - 2440587.5) AS INTEGER)"
        year, month = f"strftime('%Y', {column})", f"strftime('%m', {column})"
        months = f"(CAST({year} AS INTEGER) * 12 + CAST({month} AS INTEGER) - 1)"
    # 1970-01-01 was a Thursday: adding 3 days makes weeks start on Monday.
    return {"D": days, "W": f"FLOOR(({days} + 3) / 7)", "M": months}[unit]


def period_index(moment: datetime, unit: str) -> int:
    """The same period number in Python, for the observation end."""
    days = (moment - datetime(1970, 1, 1, tzinfo=moment.tzinfo)).days
    if unit == "D":
        return days
    if unit == "W":
        return (days + 3) // 7
    return moment.year * 12 + moment.month - 1


def rfm_summary(
    session: Session, *, team_id: str, unit: str, observation_end: datetime
) -> pd.DataFrame:
    """frequency, recency, T and monetary_value per customer who bought, indexed by customer_id.

    Only purchases in periods up to the observation end's period count, as in lifetimes.
    Values are reporting amounts; refunds up to the end net against the repeat spend, which
    is floored at 0: the rule of purchase_summaries.aggregates_sql, computed here apart.
    """
    import pandas as pd  # here, not above: purchase_summaries imports this module on every start

    dialect = session.get_bind().dialect.name
    period = period_index_sql(dialect, "purchased_at", unit)
    end = period_index(observation_end, unit)
    sql = text(
        f"""
        WITH periods AS (
            SELECT customer_id, {period} AS p, SUM(COALESCE(reporting_amount, amount)) AS v,
                   SUM(CASE WHEN amount >= 0 THEN 1 ELSE 0 END) AS bought
            FROM purchase
            WHERE team_id = :team_id
            GROUP BY customer_id, {period}
        ),
        spans AS (
            SELECT customer_id, MIN(p) AS first_p, MAX(p) AS last_p, COUNT(*) AS n
            FROM periods WHERE p <= :end AND bought > 0 GROUP BY customer_id
        ),
        first_spend AS (  -- the first period's purchases, without its refunds
            SELECT o.customer_id, SUM(COALESCE(o.reporting_amount, o.amount)) AS v
            FROM purchase o JOIN spans s ON s.customer_id = o.customer_id
            WHERE o.team_id = :team_id AND o.amount >= 0
              AND {period.replace("purchased_at", "o.purchased_at")} = s.first_p
            GROUP BY o.customer_id
        )
        SELECT s.customer_id,
               s.n - 1 AS frequency,
               s.last_p - s.first_p AS recency,
               :end - s.first_p AS age,
               COALESCE(SUM(p.v), 0) - MIN(f.v) AS repeat_value
        FROM spans s JOIN periods p ON p.customer_id = s.customer_id AND p.p <= :end
        JOIN first_spend f ON f.customer_id = s.customer_id
        GROUP BY s.customer_id, s.n, s.first_p, s.last_p
        """
    )
    rows = session.execute(sql, {"team_id": team_id, "end": end}).all()
    frame = pd.DataFrame(rows, columns=["customer_id", "frequency", "recency", "T", "repeat_value"])
    frame = frame.astype(
        {"customer_id": "int64", "frequency": "int64", "recency": "float64", "T": "float64"}
    )
    repeat_value = frame.pop("repeat_value").astype("float64").clip(lower=0.0)
    frame["monetary_value"] = (
        repeat_value / frame["frequency"].where(frame["frequency"] > 0)
    ).fillna(0.0)
    return frame.set_index("customer_id").sort_index()
