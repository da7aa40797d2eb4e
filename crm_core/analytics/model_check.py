"""Which purchase model forecasts this workspace best: a calibration/holdout check.

The holdout is the last `holdout_weeks` weeks up to the as-of date (inclusive); calibration
is everything before it. Customers who first bought in the holdout are left out, as in
Fader, Hardie & Lee (2005), section 4 (CDNOW: weeks 1-39 calibrate, weeks 40-78 hold out).
Each candidate model (BG/NBD, MBG/NBD, Pareto/NBD) is fitted on the calibration customers'
(x, t_x, T), condensed into distinct patterns with weights, in the analytics time unit; each
forecasts every customer's purchases in the holdout, E[X(T, T + t) | x, t_x, T]. A naive
baseline says each customer goes on at their calibration rate: x / T x t.

Purchases are counted as `analytics.summary` counts them (periods with a purchase; refunds
left out), split by timestamp as lifetimes' `calibration_and_holdout_data` splits them, so a
week that straddles the split counts on both sides as it does there.

Reported, per model and for the baseline: the holdout repeat purchases forecast in total and
by the number of calibration repeat purchases (0..6, 7+, the paper's Table 2), the holdout
revenue forecast (purchases x the Gamma-Gamma expected order value, fitted on calibration;
the baseline uses the customer's own mean period value), and the share of the actual holdout
revenue that the top decile by forecast revenue brought in. `pick_model` picks the model with
the smallest absolute % error of the total holdout repeat purchases.

The purchases are read by one aggregate query per workspace (team_id), one row per customer,
fetched in chunks; predictions are made once per distinct pattern and broadcast.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import numpy as np
from sqlalchemy import func, select
from sqlmodel import Session

from crm_core.analytics import clv_models
from crm_core.analytics.patterns import _read
from crm_core.analytics.summary import period_index, period_index_sql
from crm_core.errors import CrmError
from crm_core.models import Purchase
from crm_core.models.types import as_utc

CANDIDATES = ("bgnbd", "mbgnbd", "paretonbd")
LABELS = {"bgnbd": "BG/NBD", "mbgnbd": "MBG/NBD", "paretonbd": "Pareto/NBD", "naive": "naive"}
NAIVE = "naive"
# Table 2 of Fader, Hardie & Lee (2005): calibration repeat purchases 0..6 and 7+.
BUCKETS = ("0", "1", "2", "3", "4", "5", "6", "7+")
MAX_HOLDOUT_WEEKS = 52
MIN_GAMMA_GAMMA_CUSTOMERS = 10


class NotEnoughHistory(CrmError):
    """Too few purchases, or too short a history, to hold some out."""


@dataclass(frozen=True)
class Forecast:
    """One model's (or the baseline's) holdout forecast against the actuals."""

    name: str
    params: dict[str, float] | None  # None for the baseline, or when the fit failed
    purchases: float | None  # total holdout repeat purchases; None: did not converge
    by_bucket: tuple[float, ...] | None
    revenue: float | None
    top_decile_share: float | None  # of the actual holdout revenue
    tracking: tuple[float, ...] | None  # cumulative forecast at holdout periods 0..length

    @property
    def label(self) -> str:
        return LABELS[self.name]

    def error(self, actual: float) -> float | None:
        """The forecast's % error of `actual` (positive: over-forecast)."""
        if self.purchases is None or actual == 0:
            return None
        return (self.purchases - actual) / actual * 100


@dataclass(frozen=True)
class ModelCheck:
    team_id: str
    unit: str
    first_day: date
    as_of: date  # the last day of the holdout
    holdout_weeks: int
    calibration_end: date  # the last day of calibration
    holdout_length: int  # in time units, as lifetimes' duration_holdout
    customers: int  # calibration customers
    repeat_customers: int
    customers_by_bucket: tuple[int, ...]
    calibration_repeat_purchases: int
    actual_purchases: int
    actual_by_bucket: tuple[int, ...]
    actual_revenue: float
    forecasts: tuple[Forecast, ...]  # the candidates, then the baseline
    tracking_periods: tuple[int, ...]  # periods since the first one, for the actual curve
    tracking_actual: tuple[int, ...]  # cumulative repeat purchases at those periods
    holdout_start_period: int  # periods since the first one
    chosen: str
    reason: str

    @property
    def buckets(self) -> tuple[str, ...]:
        return BUCKETS

    @property
    def chosen_label(self) -> str:
        return LABELS[self.chosen]

    @property
    def calibration_weeks(self) -> float:
        return ((self.calibration_end - self.first_day).days + 1) / 7


def default_holdout_weeks(first_day: date, as_of: date) -> int:
    """A quarter of the span, in whole weeks, between 1 and 52."""
    span_weeks = ((as_of - first_day).days + 1) / 7
    return max(1, min(MAX_HOLDOUT_WEEKS, int(span_weeks // 4)))


def check_models(
    session: Session,
    *,
    team_id: str,
    unit: str = "W",
    as_of: date | None = None,
    holdout_weeks: int | None = None,
    today: date | None = None,
) -> ModelCheck:
    """Hold out the last weeks up to `as_of`, fit every candidate before them, compare.

    `as_of` defaults to the day of the newest purchase, or `today` if that is earlier.
    """
    first, newest = _span(session, team_id)
    if first is None:
        raise NotEnoughHistory("there are no purchases yet")
    as_of = as_of or (min(newest, today) if today else newest)
    if as_of < first:
        raise NotEnoughHistory(f"the first purchase was on {first}, after {as_of}")
    if holdout_weeks is None:
        holdout_weeks = default_holdout_weeks(first, as_of)
    if holdout_weeks < 1:
        raise NotEnoughHistory("the holdout must be at least 1 week")
    calibration_end = as_of - timedelta(weeks=holdout_weeks)
    if calibration_end < first:
        raise NotEnoughHistory(
            f"a {holdout_weeks}-week holdout leaves no calibration: the purchases start on "
            f"{first}; hold out fewer weeks"
        )
    split, end = _midnight(calibration_end + timedelta(days=1)), _midnight(as_of + timedelta(1))
    calibration_period = period_index(_midnight(calibration_end), unit)
    length = period_index(_midnight(as_of), unit) - calibration_period
    data = _customers(session, team_id, unit, split, end)
    if data["first_period"].size == 0:
        raise NotEnoughHistory(f"no customer bought before {calibration_end + timedelta(1)}")
    x = data["periods"] - 1
    t_x = (data["last_period"] - data["first_period"]).astype(float)
    T = (calibration_period - data["first_period"]).astype(float)
    repeat_value = data["total_value"] - data["first_period_value"]
    m = np.where(x > 0, repeat_value / np.maximum(x, 1), 0.0)
    holdout_x, holdout_value = data["holdout_periods"], data["holdout_value"]
    bucket = np.minimum(x, len(BUCKETS) - 1).astype(int)

    # Distinct (x, t_x, T) patterns: fit and predict once each, then broadcast.
    patterns, inverse, weights = np.unique(
        np.column_stack([x, t_x, T]), axis=0, return_inverse=True, return_counts=True
    )
    inverse = inverse.reshape(-1)
    order_value = _order_values(x, m)
    forecasts = [
        _forecast(name, patterns, inverse, weights, length, order_value, bucket, holdout_value)
        for name in CANDIDATES
    ]
    forecasts.append(_naive(x, T, length, data, bucket, holdout_value))
    actual = int(holdout_x.sum())
    periods, cumulative = _tracking_actual(session, team_id, unit, split, end, first, x)
    base = period_index(_midnight(first), unit)
    check = ModelCheck(
        team_id=team_id,
        unit=unit,
        first_day=first,
        as_of=as_of,
        holdout_weeks=holdout_weeks,
        calibration_end=calibration_end,
        holdout_length=int(length),
        customers=int(x.size),
        repeat_customers=int((x > 0).sum()),
        customers_by_bucket=tuple(int(n) for n in np.bincount(bucket, minlength=len(BUCKETS))),
        calibration_repeat_purchases=int(x.sum()),
        actual_purchases=actual,
        actual_by_bucket=tuple(
            int(n) for n in np.bincount(bucket, weights=holdout_x, minlength=len(BUCKETS))
        ),
        actual_revenue=float(holdout_value.sum()),
        forecasts=tuple(forecasts),
        tracking_periods=tuple(int(p) - base for p in periods),
        tracking_actual=tuple(int(c) for c in cumulative),
        holdout_start_period=int(calibration_period - base),
        chosen="",
        reason="",
    )
    chosen, reason = pick_model(check)
    return _replace_choice(check, chosen, reason)


def pick_model(check: ModelCheck) -> tuple[str, str]:
    """The candidate with the smallest absolute % error of total holdout repeat purchases,
    and one line saying why (BG/NBD when none converged)."""
    actual = check.actual_purchases
    scored = [
        (abs(error), f, error)
        for f in check.forecasts
        if f.name != NAIVE and (error := f.error(actual)) is not None
    ]
    if not scored:
        return "bgnbd", (
            f"no candidate could be checked on {actual:,} holdout repeat purchases; "
            "BG/NBD by default"
        )
    _, best, error = min(scored, key=lambda item: item[0])
    others = ", ".join(f"{f.label} {e:+.1f}%" for _, f, e in scored if f is not best)
    return best.name, (
        f"{best.label} forecast {best.purchases:,.0f} holdout repeat purchases against "
        f"{actual:,} actual ({error:+.1f}%) in the last {check.holdout_weeks} weeks to "
        f"{check.as_of}" + (f"; {others}" if others else "")
    )


def _replace_choice(check: ModelCheck, chosen: str, reason: str) -> ModelCheck:
    from dataclasses import replace

    return replace(check, chosen=chosen, reason=reason)


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


def _span(session: Session, team_id: str) -> tuple[date | None, date | None]:
    first, newest = session.execute(
        select(func.min(Purchase.purchased_at), func.max(Purchase.purchased_at)).where(
            Purchase.team_id == team_id, Purchase.amount >= 0
        )
    ).one()
    if first is None:
        return None, None
    return as_utc(first).date(), as_utc(newest).date()


def _periods_sql(dialect: str, unit: str) -> str:
    """Per customer, period and side of the split (0 calibration, 1 holdout): the value."""
    period = period_index_sql(dialect, "purchased_at", unit)
    return f"""
        SELECT customer_id, CASE WHEN purchased_at < :split THEN 0 ELSE 1 END AS side,
               {period} AS p, SUM(COALESCE(reporting_amount, amount)) AS v
        FROM purchase
        WHERE team_id = :team_id AND amount >= 0 AND purchased_at < :end
        GROUP BY customer_id, CASE WHEN purchased_at < :split THEN 0 ELSE 1 END, {period}
    """


def _customers(session: Session, team_id: str, unit: str, split: datetime, end: datetime):
    dialect = session.get_bind().dialect.name
    sql = f"""
        WITH periods AS ({_periods_sql(dialect, unit)}),
        cal AS (
            SELECT customer_id, MIN(p) AS first_p, MAX(p) AS last_p, COUNT(*) AS n,
                   SUM(v) AS total
            FROM periods WHERE side = 0 GROUP BY customer_id
        ),
        hold AS (
            SELECT customer_id, COUNT(*) AS n, SUM(v) AS total
            FROM periods WHERE side = 1 GROUP BY customer_id
        )
        SELECT c.first_p, c.last_p, c.n, f.v, c.total, COALESCE(h.n, 0), COALESCE(h.total, 0)
        FROM cal c
        JOIN periods f ON f.customer_id = c.customer_id AND f.side = 0 AND f.p = c.first_p
        LEFT JOIN hold h ON h.customer_id = c.customer_id
        ORDER BY c.customer_id
    """
    frame = _read(
        session,
        sql,
        {"team_id": team_id, "split": _param(split, dialect), "end": _param(end, dialect)},
        {
            "first_period": "int64",
            "last_period": "int64",
            "periods": "int64",
            "first_period_value": "float64",
            "total_value": "float64",
            "holdout_periods": "int64",
            "holdout_value": "float64",
        },
    )
    return {name: frame[name].to_numpy() for name in frame.columns}


def _param(moment: datetime, dialect: str):
    """Timestamps as the column stores them: ISO text on SQLite, aware on PostgreSQL."""
    if dialect == "postgresql":
        return moment
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")


def _tracking_actual(session, team_id, unit, split, end, first: date, x):
    """Cumulative repeat purchases of the calibration customers, period by period."""
    dialect = session.get_bind().dialect.name
    sql = f"""
        WITH periods AS ({_periods_sql(dialect, unit)}),
        cal AS (SELECT customer_id, MIN(p) AS first_p FROM periods WHERE side = 0
                GROUP BY customer_id)
        SELECT s.p, COUNT(*) FROM periods s JOIN cal c ON c.customer_id = s.customer_id
        WHERE s.side = 1 OR s.p > c.first_p
        GROUP BY s.p ORDER BY s.p
    """
    frame = _read(
        session,
        sql,
        {"team_id": team_id, "split": _param(split, dialect), "end": _param(end, dialect)},
        {"p": "int64", "n": "int64"},
    )
    return frame["p"].to_numpy(), np.cumsum(frame["n"].to_numpy())


def _fit(name: str, frequency, recency, age, weights):
    """The fitted model, through clv_models (None when it does not converge)."""
    return clv_models.fit_model(name, frequency, recency, age, weights=weights)


def _expected(model, t: float, frequency, recency, age) -> np.ndarray:
    return np.asarray(clv_models.expected_purchases(model, t, frequency, recency, age))


def _params(model) -> dict[str, float]:
    if hasattr(model, "params"):
        return dict(model.params)
    return {"r": model.r, "alpha": model.alpha, "a": model.a, "b": model.b}


def _order_values(x: np.ndarray, m: np.ndarray) -> np.ndarray | None:
    """Each customer's Gamma-Gamma expected order value, from calibration; None if unfitted."""
    repeat = (x > 0) & (m > 0)
    if repeat.sum() < MIN_GAMMA_GAMMA_CUSTOMERS:
        return None
    pairs, counts = np.unique(np.column_stack([x[repeat], m[repeat]]), axis=0, return_counts=True)
    model = clv_models.fit_gamma_gamma(pairs[:, 0], pairs[:, 1], weights=counts)
    if model is None:
        return None
    return np.asarray(clv_models.expected_order_value(model, x, m), dtype=float)


def _top_decile_share(predicted: np.ndarray, actual_value: np.ndarray) -> float | None:
    total = actual_value.sum()
    if total <= 0 or predicted.size == 0:
        return None
    top = max(1, math.ceil(predicted.size / 10))
    chosen = np.argsort(-predicted, kind="stable")[:top]
    return float(actual_value[chosen].sum() / total)


def _forecast(name, patterns, inverse, weights, length, order_value, bucket, holdout_value):
    f, r, T = patterns[:, 0], patterns[:, 1], patterns[:, 2]
    model = _fit(name, f, r, T, weights)
    if model is None:
        return Forecast(name, None, None, None, None, None, None)
    steps = np.arange(length + 1, dtype=float)
    per_step = np.array(
        [float((_expected(model, float(t), f, r, T) * weights).sum()) if t else 0.0 for t in steps]
    )
    expected = _expected(model, float(length), f, r, T)[inverse]
    return _figures(name, _params(model), expected, order_value, bucket, holdout_value, per_step)


def _naive(x, T, length, data, bucket, holdout_value) -> Forecast:
    """Each customer repeats at their calibration rate, x / T, for the holdout's length."""
    rate = np.divide(x, T, out=np.zeros_like(T), where=T > 0)
    expected = rate * length
    mean_value = data["total_value"] / data["periods"]
    tracking = np.arange(length + 1) * rate.sum()
    return _figures(NAIVE, None, expected, mean_value, bucket, holdout_value, tracking)


def _figures(name, params, expected, order_value, bucket, holdout_value, tracking) -> Forecast:
    revenue = None if order_value is None else expected * order_value
    return Forecast(
        name=name,
        params=params,
        purchases=float(expected.sum()),
        by_bucket=tuple(
            float(v) for v in np.bincount(bucket, weights=expected, minlength=len(BUCKETS))
        ),
        revenue=None if revenue is None else float(revenue.sum()),
        top_decile_share=_top_decile_share(
            revenue if revenue is not None else expected, holdout_value
        ),
        tracking=tuple(float(v) for v in tracking),
    )
