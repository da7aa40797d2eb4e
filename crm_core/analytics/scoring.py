"""Refreshing a workspace's CLV scores: summary, fits, predictions, written back in one go.

A refresh reads the per-customer aggregates once and condenses them into distinct
(frequency, recency, T) patterns (analytics.patterns), fits a purchase model (BG/NBD, MBG/NBD
or Pareto/NBD: analytics.model, or with "auto" the one whose forecast of the last quarter of
the observation span, fitted on the rest, came closest: `_choose_model`; a pick is reused by
the next refreshes while the data moves little, `_reusable_pick`) on them with weights and
Gamma-Gamma on the distinct repeat spends, evaluates the predictions once per pattern and
stores them per pattern, with the tops of the CLV and value-at-risk rankings
(analytics.rankings), the totals, and the intervals of total CLV and of the top customers' CLV
(analytics.intervals, `_store_intervals`: parameter uncertainty only). Chat answers read
those (analytics.customer_scores: each customer's aggregates joined to their pattern) and say
how fresh they are, instead of fitting while Slack waits.

With too few repeat customers (analytics.min_repeat_customers) or a fit that does not
converge, CLV falls back to the historic formula, which never turns one order into a rate
(a single $171 order 17 days ago is not "12 purchases a year"): a customer's expected
purchases over the horizon are the population's repeat rate (repeat buyers / customers,
i.e. the share of customers who ever bought again) times the horizon's share of the
observed span (at most 1: no more repeats than were ever seen), and CLV is that times the
customer's own average order value (total value / purchase periods). With nobody who bought
twice that is 0 expected purchases and CLV 0: what is known is what they spent. There is no
probability of being alive nor of no purchase; the fit record says why the models were not
used. Purchases and spans are counted in the time unit, as the models count them.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

import numpy as np
from sqlalchemy import func, select
from sqlmodel import Session

from crm_core import purchase_summaries
from crm_core.analytics import acquisition, rankings
from crm_core.errors import CrmError
from crm_core.models import AnalyticsFit, Purchase
from crm_core.models.types import as_utc
from crm_core.settings import AnalyticsSettings

if TYPE_CHECKING:
    import pandas as pd

    from crm_core.analytics.patterns import Condensed

logger = logging.getLogger(__name__)
MODELS = "bgnbd+gamma-gamma"  # method of a BG/NBD fit; the others are "<model>+gamma-gamma"
HISTORIC = "historic"
# Gamma-Gamma needs a few repeat customers with positive spend to say anything.
MIN_GAMMA_GAMMA_CUSTOMERS = 10


class NotEnoughData(CrmError):
    """The workspace has no purchases to score yet."""


@dataclass(frozen=True)
class Freshness:
    """The latest fit of a workspace and whether purchases arrived after it."""

    fit: AnalyticsFit | None
    stale: bool


def freshness(session: Session, *, team_id: str) -> Freshness:
    """The newest fit, and whether a purchase newer than its watermark exists."""
    fit = latest_fit(session, team_id=team_id)
    watermark = fit.watermark_purchase_id if fit is not None else None
    return Freshness(
        fit,
        stale=purchase_summaries.purchases_after(session, team_id=team_id, purchase_id=watermark),
    )


def latest_fit(session: Session, *, team_id: str) -> AnalyticsFit | None:
    """The workspace's newest fit, if it was ever scored."""
    return session.execute(
        select(AnalyticsFit)
        .where(AnalyticsFit.team_id == team_id)
        .order_by(AnalyticsFit.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def refresh_scores(
    session: Session,
    *,
    team_id: str,
    settings: AnalyticsSettings,
    now: datetime,
    as_of: bool = False,
) -> AnalyticsFit:
    """Fit the models on the workspace's purchases up to `now` and replace its scores.

    With `as_of`, `now` is a past date asked for (`crm analytics refresh --as-of`): the
    purchases after it are ignored, every customer who had bought by then is scored in the
    stored rankings and totals, and the fit records that it was asked for.
    """
    # pandas, scipy and lifetimes load here, not with this module: freshness and latest_fit
    # are read on every answer, and these imports cost seconds.
    from crm_core.analytics import patterns

    started = time.perf_counter()
    unit = settings.time_unit
    found = patterns.condense(session, team_id=team_id, unit=unit, observation_end=now, as_of=as_of)
    if found.customers.empty:
        raise NotEnoughData(
            "there are no purchases yet; import some with `crm import purchases FILE`"
        )
    # The aggregates include every purchase up to the newest (condense made sure of it).
    watermark_id = purchase_summaries.newest_included(session, team_id=team_id)
    watermark = session.get(Purchase, watermark_id) if watermark_id is not None else None
    watermark_at = watermark.purchased_at if watermark is not None else None
    counted = select(func.count()).select_from(Purchase).where(Purchase.team_id == team_id)
    if as_of:
        counted = counted.where(Purchase.purchased_at <= now)
    purchases = session.execute(counted).scalar_one()
    counts = found.patterns["customers"]
    fit = AnalyticsFit(
        team_id=team_id,
        method=MODELS,
        model=HISTORIC,
        time_unit=unit,
        horizon_months=settings.horizon_months,
        monthly_discount_rate=settings.monthly_discount_rate,
        observation_end=now,
        watermark_purchase_id=watermark_id,
        watermark_purchased_at=as_utc(watermark_at) if watermark_at else None,
        purchases=purchases,
        customers=int(counts.sum()),
        repeat_customers=int(counts[found.patterns["frequency"] > 0].sum()),
        unique_patterns=len(found.patterns),
        at_risk_threshold=settings.churn_risk_threshold,
        as_of_requested=as_of,
    )
    predictions = _model_predictions(session, found, fit, settings)
    if predictions is None:
        predictions = _historic_predictions(found, fit, settings)
    session.add(fit)
    session.flush()
    patterns.write_predictions(session, found, fit_id=fit.id, predictions=predictions)
    _rank_and_total(session, found, predictions, fit, settings)
    _store_intervals(session, found, fit, settings)
    fit.seconds = round(time.perf_counter() - started, 3)
    logger.info(
        "scored %d customers of %s with %s in %.2fs",
        fit.customers,
        team_id,
        fit.method,
        fit.seconds,
    )
    return fit


@dataclass(frozen=True)
class EndWarning:
    """The newest purchase by the observation end lies far before it."""

    newest_purchase_at: datetime
    days_before_end: int
    limit_days: int


def end_warning(session: Session, fit: AnalyticsFit) -> EndWarning | None:
    """A warning when the newest purchase up to the fit's end is older than the end by more
    than 3 of the population's median inter-purchase gaps (90 days when nobody bought
    twice): scoring as of that purchase's date would not count the quiet stretch as churn."""
    from crm_core.models import PatternScore

    end = as_utc(fit.observation_end)
    newest = session.execute(
        select(func.max(Purchase.purchased_at)).where(
            Purchase.team_id == fit.team_id, Purchase.purchased_at <= end
        )
    ).scalar()
    if newest is None:
        return None
    newest = as_utc(newest)
    rows = session.execute(
        select(PatternScore.frequency, PatternScore.recency, PatternScore.customers).where(
            PatternScore.team_id == fit.team_id,
            PatternScore.fit_id == fit.id,
            PatternScore.frequency > 0,
        )
    ).all()
    limit = 90
    if rows:
        gaps = np.array([recency / frequency for frequency, recency, _ in rows], dtype=float)
        weights = np.array([customers for _, _, customers in rows], dtype=float)
        order = np.argsort(gaps)
        cumulative = np.cumsum(weights[order])
        median = gaps[order][np.searchsorted(cumulative, cumulative[-1] / 2)]
        limit = max(1, round(3 * median * _DAYS_PER_UNIT[fit.time_unit])) if median > 0 else 90
    days = (end - newest).days
    return EndWarning(newest, days, limit) if days > limit else None


_DAYS_PER_UNIT = {"D": 1.0, "W": 7.0, "M": 30.44}


def _model_predictions(
    session: Session, found: Condensed, fit: AnalyticsFit, settings: AnalyticsSettings
) -> pd.DataFrame | None:
    """Per-pattern predictions from the fitted models, or None (and why) for the fallback."""
    from crm_core.analytics import clv_models, patterns

    if fit.repeat_customers < settings.min_repeat_customers:
        fit.method, fit.reason = (
            HISTORIC,
            (
                f"only {fit.repeat_customers} "
                f"{'customer' if fit.repeat_customers == 1 else 'customers'} bought more than once "
                f"(BG/NBD needs {settings.min_repeat_customers}, analytics.min_repeat_customers)"
            ),
        )
        return None
    f, r, t = found.patterns["frequency"], found.patterns["recency"], found.patterns["T"]
    name, reason = _choose_model(session, found, fit, settings)
    label = clv_models.LABELS[name]
    bg = clv_models.fit_model(name, f, r, t, weights=found.patterns["customers"])
    if bg is None:
        fit.method, fit.reason = HISTORIC, f"{label} did not converge on this data"
        fit.model_reason = reason
        return None
    fit.model, fit.model_reason = name, reason
    fit.model_params = json.dumps(bg.params)
    if name == "bgnbd":
        fit.bg_r, fit.bg_alpha = bg.params["r"], bg.params["alpha"]
        fit.bg_a, fit.bg_b, fit.bg_converged = bg.params["a"], bg.params["b"], True
    spends = patterns.spends(found)
    fit.gg_customers = int(spends["customers"].sum())
    gg = None
    if fit.gg_customers >= MIN_GAMMA_GAMMA_CUSTOMERS:
        gg = clv_models.fit_gamma_gamma(
            spends["frequency"], spends["monetary_value"], weights=spends["customers"]
        )
    if gg is None or gg.q <= 1:
        fit.model = HISTORIC
        fit.method, fit.reason = (
            HISTORIC,
            "Gamma-Gamma could not be fitted to the repeat customers' spend",
        )
        return None
    fit.gg_p, fit.gg_q, fit.gg_v, fit.gg_converged = gg.p, gg.q, gg.v, True
    horizon = settings.horizon_months * clv_models.UNITS_PER_MONTH[fit.time_unit]
    predictions = found.patterns.copy()
    predictions["p_alive"] = clv_models.probability_alive(bg, f, r, t)
    predictions["expected_purchases"] = clv_models.expected_purchases(bg, horizon, f, r, t)
    predictions["p_no_purchase"] = clv_models.probability_no_purchase(bg, horizon, f, r, t)
    discounted = clv_models.discounted_expected_purchases(
        bg,
        f,
        r,
        t,
        months=settings.horizon_months,
        monthly_discount_rate=settings.monthly_discount_rate,
        unit=fit.time_unit,
    )
    predicted = predictions[["p_alive", "expected_purchases", "p_no_purchase"]]
    broken = ~np.isfinite(predicted.assign(discounted=discounted)).all(axis=1)
    if broken.any():
        fit.model = HISTORIC
        fit.method, fit.reason = (
            HISTORIC,
            "the fitted models gave no finite prediction for "
            f"{int(predictions.loc[broken, 'customers'].sum())} customers",
        )
        return None
    # CLV = E(M | x, m) x discounted purchases, E(M | x, m) = (1 - w) x mean + w x m.
    x = predictions["frequency"].to_numpy(dtype=float)
    weight = gg.p * x / (gg.p * x + gg.q - 1)
    predictions["clv_base"] = (1 - weight) * gg.population_mean * discounted
    predictions["clv_per_order_value"] = weight * discounted
    predictions["clv_per_revenue"] = 0.0
    fit.method = f"{name}+gamma-gamma"
    return predictions


def _choose_model(
    session: Session, found: Condensed, fit: AnalyticsFit, settings: AnalyticsSettings
) -> tuple[str, str]:
    """The purchase model to fit and why: analytics.model, or for "auto" a holdout check.

    The check splits the observation span: the last quarter is the holdout. Each model is
    fitted on the customers' aggregates up to the calibration end and forecasts their
    repeat purchases in the holdout; the one closest to the actual total wins (BG/NBD when
    the data is too thin to check). The last fit's pick is reused while it holds
    (`_reusable_pick`). The lead may swap this for model_check.pick_model.
    """
    from crm_core.analytics import clv_models

    if settings.model != "auto":
        return settings.model, f"analytics.model is {settings.model}"
    try:
        from crm_core.analytics import model_check  # the check helper's module, if merged
    except ImportError:
        model_check = None
    if model_check is not None and hasattr(model_check, "pick_model"):
        logger.debug("model_check.pick_model is available; the built-in check is used here")
    previous = _reusable_pick(session, fit)
    if previous is not None:
        fit.model_check = previous.model_check
        when = as_utc(previous.fitted_at).strftime("%Y-%m-%d")
        reason = previous.model_reason.split(" (picked on ")[0]
        return previous.model, f"{reason} (picked on {when}; data since changed by under 10%)"
    errors = _holdout_errors(session, found, fit.time_unit)
    if not errors:
        return "bgnbd", "auto: too little history to check the models on a holdout; BG/NBD"
    fit.model_check = json.dumps(errors)
    best = min(errors, key=lambda name: errors[name]["error"])
    others = ", ".join(
        f"{clv_models.LABELS[name]} {_percent(errors[name]['error'])}"
        for name in clv_models.MODEL_NAMES
        if name in errors and name != best
    )
    return best, (
        f"auto: {clv_models.LABELS[best]} forecast holdout repeat purchases within "
        f"{_percent(errors[best]['error'])}" + (f" ({others})" if others else "")
    )


# The auto pick is re-checked when the customers or the purchases changed by this share.
REPICK_CHANGE = 0.10
# ... or the observation end moved by more than this many days.
REPICK_DAYS = 28


def _reusable_pick(session: Session, fit: AnalyticsFit) -> AnalyticsFit | None:
    """The workspace's latest fit, when its auto pick still holds for `fit`'s data.

    The holdout check costs three more fits; its answer cannot change much unless the data
    does. It is reused when the last fit chose by it (and that model converged), in the same
    time unit, not as of a date asked for either time, its observation end at most
    REPICK_DAYS before this one's (never after), and its customers and purchases within
    REPICK_CHANGE of this one's. A first refresh always checks.
    """
    from crm_core.analytics import clv_models

    previous = latest_fit(session, team_id=fit.team_id)
    if (
        previous is None
        or previous.model not in clv_models.MODEL_NAMES
        or not (previous.model_reason or "").startswith("auto:")
        or previous.time_unit != fit.time_unit
        or previous.as_of_requested
        or fit.as_of_requested
        or not previous.customers
        or not previous.purchases
    ):
        return None
    moved = (as_utc(fit.observation_end) - as_utc(previous.observation_end)).total_seconds()
    if not 0 <= moved <= REPICK_DAYS * 86_400:
        return None
    for now, then in ((fit.customers, previous.customers), (fit.purchases, previous.purchases)):
        if abs(now - then) > REPICK_CHANGE * then:
            return None
    return previous


def _percent(error: float) -> str:
    """An error as a share, with a decimal under 10% so a small one never reads "0%"."""
    if error >= 10:
        return "over 1000%"
    return f"{error:.1%}" if error < 0.1 else f"{error:.0%}"


def _holdout_errors(session: Session, found: Condensed, unit: str) -> dict[str, dict[str, float]]:
    """Per model: predicted and actual holdout repeat purchases and the relative error."""
    from crm_core.analytics import clv_models

    customers = found.customers
    start = int(customers["first_period"].min())
    span = found.end - start
    holdout = span // 4
    calibration_end = found.end - holdout
    if holdout < 1:
        return {}
    grouped = _calibration_patterns(session, found, calibration_end, unit)
    if grouped.empty:
        return {}
    # The holdout's repeat purchases: the periods with a purchase after the calibration end
    # of the customers who had bought by then.
    known = customers["first_period"].to_numpy() <= calibration_end
    later = int(customers["periods"].to_numpy()[known].sum())
    actual = float(later - grouped["periods"].sum())
    repeat = int(grouped.loc[grouped["frequency"] > 0, "customers"].sum())
    if repeat < 2 or actual <= 0:
        return {}
    errors = {}
    for name in clv_models.MODEL_NAMES:
        model = clv_models.fit_model(
            name, grouped["frequency"], grouped["recency"], grouped["T"], grouped["customers"]
        )
        if model is None:
            continue
        expected = clv_models.expected_purchases(
            model, float(holdout), grouped["frequency"], grouped["recency"], grouped["T"]
        )
        predicted = float((np.asarray(expected) * grouped["customers"].to_numpy()).sum())
        if np.isfinite(predicted):
            errors[name] = {
                "predicted": predicted,
                "actual": actual,
                "error": abs(predicted - actual) / actual,
            }
    return errors


def _calibration_patterns(
    session: Session, found: Condensed, calibration_end: int, unit: str
) -> pd.DataFrame:
    """The distinct (frequency, recency, T) as of `calibration_end` of the customers who had
    bought by then, with how many customers share each and their purchase periods in all.

    The database groups them, so the client reads a row per pattern, not one per customer.
    From the current aggregates (purchase_summary) when they are what the refresh scores: a
    customer whose last period is in the calibration is their row as it is, and only those
    who bought in the holdout have their holdout purchases looked up (two index range seeks
    each). Otherwise from every purchase, in one pass over the covering index.
    """
    from crm_core.analytics import patterns

    dialect = session.get_bind().dialect.name
    params = {"team_id": found.team_id, "end": calibration_end}
    if found.relation == "purchase_summary":
        boundary = _period_start(calibration_end + 1, unit)  # the holdout's first moment
        # Stored naive in UTC on SQLite, as SQLAlchemy writes it (compared as text there).
        params["boundary"] = (
            boundary.strftime("%Y-%m-%d %H:%M:%S.%f") if dialect == "sqlite" else boundary
        )
        sql = _CALIBRATION_FROM_SUMMARY.format(period=_period_sql(dialect, unit, "p."))
    else:
        sql = _CALIBRATION_FROM_PURCHASES.format(period=_period_sql(dialect, unit, ""))
    return patterns._read(
        session,
        sql,
        params,
        {
            "frequency": "float64",
            "recency": "float64",
            "T": "float64",
            "customers": "int64",
            "periods": "int64",
        },
    )


def _period_sql(dialect: str, unit: str, table: str) -> str:
    from crm_core.analytics.summary import period_index_sql

    return f"CAST({period_index_sql(dialect, f'{table}purchased_at', unit)} AS BIGINT)"


def _period_start(period: int, unit: str) -> datetime:
    """The first moment (UTC) of a period numbered as summary.period_index numbers them."""
    from datetime import UTC, timedelta

    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    if unit == "D":
        return epoch + timedelta(days=period)
    if unit == "W":
        return epoch + timedelta(days=period * 7 - 3)
    return datetime(period // 12, period % 12 + 1, 1, tzinfo=UTC)


_CALIBRATION_GROUPS = (
    "SELECT n - 1, l - f, :end - f, COUNT(*), SUM(n) FROM ({}) AS c GROUP BY n, l - f, f"
)
# Refunds are no purchase period (purchase_summaries.aggregates_sql).
_CALIBRATION_FROM_SUMMARY = _CALIBRATION_GROUPS.format(
    "SELECT s.first_period AS f, CASE WHEN s.last_period <= :end THEN s.last_period ELSE ("
    "SELECT MAX({period}) FROM purchase p WHERE p.team_id = :team_id "
    "AND p.customer_id = s.customer_id AND p.purchased_at < :boundary AND p.amount >= 0) "
    "END AS l, CASE WHEN s.last_period <= :end THEN s.periods ELSE s.periods - ("
    "SELECT COUNT(DISTINCT {period}) FROM purchase p WHERE p.team_id = :team_id "
    "AND p.customer_id = s.customer_id AND p.purchased_at >= :boundary AND p.amount >= 0) "
    "END AS n FROM purchase_summary s WHERE s.team_id = :team_id AND s.first_period <= :end"
)
_CALIBRATION_FROM_PURCHASES = _CALIBRATION_GROUPS.format(
    "SELECT MIN(p) AS f, MAX(p) AS l, COUNT(DISTINCT p) AS n FROM ("
    "SELECT customer_id, {period} AS p FROM purchase "
    "WHERE team_id = :team_id AND amount >= 0) AS dated "
    "WHERE p <= :end GROUP BY customer_id"
)


def _historic_predictions(
    found: Condensed, fit: AnalyticsFit, settings: AnalyticsSettings
) -> pd.DataFrame:
    """The population's repeat rate x the horizon's share of the observed span (at most 1)
    as every customer's expected purchases, times their own average order value as CLV
    (see the module docstring). No P(alive), no P(no purchase)."""
    from crm_core.analytics.clv_models import UNITS_PER_MONTH

    fit.model = HISTORIC
    predictions = found.patterns.copy()
    counts = predictions["customers"].to_numpy(dtype=float)
    repeat_rate = fit.repeat_customers / counts.sum() if counts.sum() else 0.0
    span = float(found.end - found.customers["first_period"].min()) if len(counts) else 0.0
    horizon = settings.horizon_months * UNITS_PER_MONTH[fit.time_unit]
    share = min(1.0, horizon / span) if span > 0 else 1.0
    expected = repeat_rate * share
    predictions["p_alive"] = np.nan
    predictions["p_no_purchase"] = np.nan
    predictions["expected_purchases"] = expected
    predictions["clv_base"] = 0.0
    predictions["clv_per_order_value"] = 0.0
    # CLV = expected purchases x average order value = expected / periods x total value.
    predictions["clv_per_revenue"] = expected / predictions["periods"].to_numpy(dtype=float)
    return predictions


def _rank_and_total(
    session: Session,
    found: Condensed,
    predictions: pd.DataFrame,
    fit: AnalyticsFit,
    settings: AnalyticsSettings,
) -> None:
    """Every customer's CLV from their pattern, for the stored rankings and the fit's totals."""
    customers, pattern = found.customers, found.customers["pattern"].to_numpy()

    def per_customer(name: str) -> np.ndarray:
        return predictions[name].to_numpy(dtype=float)[pattern]

    clv = (
        per_customer("clv_base")
        + per_customer("clv_per_order_value") * customers["monetary_value"].to_numpy()
        + per_customer("clv_per_revenue") * customers["total_value"].to_numpy()
    )
    alive = per_customer("p_alive")
    at_risk = alive < settings.churn_risk_threshold  # False where there is no P(alive)
    value_at_risk = np.nan_to_num(clv * (1 - alive))
    rankings.write(
        session,
        team_id=fit.team_id,
        customer_ids=customers["customer_id"].to_numpy(),
        clv=clv,
        value_at_risk=value_at_risk,
        at_risk=at_risk,
    )
    acquisition.write_channel_values(
        session, fit=fit, customer_ids=customers["customer_id"].to_numpy(), clv=clv
    )
    fit.total_clv = float(clv.sum())
    fit.total_value_at_risk = float(value_at_risk.sum())
    fit.at_risk_customers = int(at_risk.sum())
    fit.at_risk_clv = float(clv[at_risk].sum())
    fit.at_risk_value_at_risk = float(value_at_risk[at_risk].sum())


def _store_intervals(
    session: Session, found: Condensed, fit: AnalyticsFit, settings: AnalyticsSettings
) -> None:
    """The interval of total CLV on the fit and of each stored top customer's CLV on their
    score_rank row (analytics.intervals: parameter uncertainty only). Nothing under the
    historic formula, which has no model, nor when the likelihood gives no covariance."""
    if fit.model == HISTORIC or fit.model_params is None or fit.gg_p is None:
        return
    from sqlalchemy import update

    from crm_core.analytics import clv_models, intervals, patterns
    from crm_core.models import ScoreRank

    started = time.perf_counter()
    model = clv_models.PurchaseModel(fit.model, json.loads(fit.model_params))
    gg = clv_models.GammaGamma(fit.gg_p, fit.gg_q, fit.gg_v)
    ranked = session.execute(
        select(ScoreRank.position, ScoreRank.customer_id).where(
            ScoreRank.team_id == fit.team_id, ScoreRank.ranking == rankings.CLV
        )
    ).all()
    customer_ids = found.customers["customer_id"].to_numpy()
    order = np.argsort(customer_ids)
    wanted = np.array([customer_id for _, customer_id in ranked], dtype=customer_ids.dtype)
    chosen = order[np.searchsorted(customer_ids, wanted, sorter=order)]
    found_intervals = intervals.clv_intervals(
        model,
        gg,
        patterns=found.patterns,
        spends=patterns.spends(found),
        customer_pattern=found.customers["pattern"].to_numpy(),
        customer_order_value=found.customers["monetary_value"].to_numpy(dtype=float),
        chosen=chosen,
        months=settings.horizon_months,
        monthly_discount_rate=settings.monthly_discount_rate,
        unit=fit.time_unit,
        level=settings.interval_level,
    )
    if found_intervals is None:
        logger.info("no CLV interval for %s: the likelihood gives no covariance", fit.team_id)
        return
    fit.interval_level = found_intervals.level
    fit.total_clv_low, fit.total_clv_high = found_intervals.total_low, found_intervals.total_high
    if ranked:
        session.execute(
            update(ScoreRank),
            [
                {
                    "team_id": fit.team_id,
                    "ranking": rankings.CLV,
                    "position": position,
                    "clv_low": float(low),
                    "clv_high": float(high),
                }
                for (position, _), low, high in zip(
                    ranked, found_intervals.customer_low, found_intervals.customer_high, strict=True
                )
            ],
        )
    logger.info("CLV intervals for %s in %.2fs", fit.team_id, time.perf_counter() - started)
