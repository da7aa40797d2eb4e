"""Refreshing a workspace's CLV scores: summary, fits, predictions, written back in one go.

A refresh reads the per-customer aggregates once and condenses them into distinct
(frequency, recency, T) patterns (analytics.patterns), fits BG/NBD on them with weights and
Gamma-Gamma on the distinct repeat spends, evaluates the predictions once per pattern and
stores them per pattern, with the tops of the CLV and value-at-risk rankings
(analytics.rankings) and the totals. Chat answers read those (analytics.customer_scores:
each customer's aggregates joined to their pattern) and say how fresh they are, instead of
fitting while Slack waits.

With too few repeat customers (analytics.min_repeat_customers) or a fit that does not
converge, CLV falls back to the historic formula: average order value x purchases per
month of tenure x the horizon in months (which comes to revenue per month of tenure x the
horizon), with no probability of being alive; the fit record says so. Purchases and tenure
are counted in the time unit, as the models count them.
"""

from __future__ import annotations

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
MODELS = "bgnbd+gamma-gamma"
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
    session: Session, *, team_id: str, settings: AnalyticsSettings, now: datetime
) -> AnalyticsFit:
    """Fit the models on the workspace's purchases up to `now` and replace its scores."""
    # pandas, scipy and lifetimes load here, not with this module: freshness and latest_fit
    # are read on every answer, and these imports cost seconds.
    from crm_core.analytics import patterns

    started = time.perf_counter()
    unit = settings.time_unit
    found = patterns.condense(session, team_id=team_id, unit=unit, observation_end=now)
    if found.customers.empty:
        raise NotEnoughData(
            "there are no purchases yet; import some with `crm import purchases FILE`"
        )
    # The aggregates include every purchase up to the newest (condense made sure of it).
    watermark_id = purchase_summaries.newest_included(session, team_id=team_id)
    watermark = session.get(Purchase, watermark_id) if watermark_id is not None else None
    watermark_at = watermark.purchased_at if watermark is not None else None
    purchases = session.execute(
        select(func.count()).select_from(Purchase).where(Purchase.team_id == team_id)
    ).scalar_one()
    counts = found.patterns["customers"]
    fit = AnalyticsFit(
        team_id=team_id,
        method=MODELS,
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
    )
    predictions = _model_predictions(found, fit, settings)
    if predictions is None:
        predictions = _historic_predictions(found, fit, settings)
    session.add(fit)
    session.flush()
    patterns.write_predictions(session, found, fit_id=fit.id, predictions=predictions)
    _rank_and_total(session, found, predictions, fit, settings)
    fit.seconds = round(time.perf_counter() - started, 3)
    logger.info(
        "scored %d customers of %s with %s in %.2fs",
        fit.customers,
        team_id,
        fit.method,
        fit.seconds,
    )
    return fit


def _model_predictions(
    found: Condensed, fit: AnalyticsFit, settings: AnalyticsSettings
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
    bg = clv_models.fit_bgnbd(f, r, t, weights=found.patterns["customers"])
    if bg is None:
        fit.method, fit.reason = HISTORIC, "BG/NBD did not converge on this data"
        return None
    fit.bg_r, fit.bg_alpha, fit.bg_a, fit.bg_b, fit.bg_converged = bg.r, bg.alpha, bg.a, bg.b, True
    spends = patterns.spends(found)
    fit.gg_customers = int(spends["customers"].sum())
    gg = None
    if fit.gg_customers >= MIN_GAMMA_GAMMA_CUSTOMERS:
        gg = clv_models.fit_gamma_gamma(
            spends["frequency"], spends["monetary_value"], weights=spends["customers"]
        )
    if gg is None or gg.q <= 1:
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
    discounted = clv_models.discounted_expected_purchases(
        bg,
        f,
        r,
        t,
        months=settings.horizon_months,
        monthly_discount_rate=settings.monthly_discount_rate,
        unit=fit.time_unit,
    )
    predicted = predictions[["p_alive", "expected_purchases"]].assign(discounted=discounted)
    broken = ~np.isfinite(predicted).all(axis=1)
    if broken.any():
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
    return predictions


def _historic_predictions(
    found: Condensed, fit: AnalyticsFit, settings: AnalyticsSettings
) -> pd.DataFrame:
    """Average order value x purchases per month of tenure x the horizon in months, that is
    revenue / tenure months x horizon; tenure is at least a month. No P(alive)."""
    from crm_core.analytics.clv_models import UNITS_PER_MONTH

    predictions = found.patterns.copy()
    months = settings.horizon_months
    tenure = (predictions["T"] / UNITS_PER_MONTH[fit.time_unit]).clip(lower=1.0)
    predictions["p_alive"] = np.nan
    predictions["expected_purchases"] = predictions["periods"] / tenure * months
    predictions["clv_base"] = 0.0
    predictions["clv_per_order_value"] = 0.0
    predictions["clv_per_revenue"] = months / tenure
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
