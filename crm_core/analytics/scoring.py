"""Refreshing a workspace's CLV scores: summary, fits, predictions, written back in one go.

A refresh has the database condense the per-customer aggregates into distinct (frequency,
recency, T) patterns (analytics.patterns), fits BG/NBD on them with weights and Gamma-Gamma
on the distinct repeat spends, evaluates the predictions once per pattern, and has the
database replace the workspace's rows in customer_score from them. Chat answers read those
rows (and say how fresh they are) instead of fitting while Slack waits.

With too few repeat customers (analytics.min_repeat_customers) or a fit that does not
converge, CLV falls back to the historic formula: average order value x purchases per
month x the horizon in months, with no probability of being alive; the fit record says so.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd
from sqlalchemy import func, select, text
from sqlmodel import Session

from crm_core import purchase_summaries
from crm_core.analytics import clv_models, patterns
from crm_core.analytics.writing import replacing_scores, write_scores
from crm_core.errors import CrmError
from crm_core.models import AnalyticsFit, Purchase
from crm_core.models.types import as_utc
from crm_core.settings import AnalyticsSettings

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
    started = time.perf_counter()
    unit = settings.time_unit
    with patterns.condensed(session, team_id=team_id, unit=unit, observation_end=now) as found:
        if found.patterns.empty:
            raise NotEnoughData(
                "there are no purchases yet; import some with `crm import purchases FILE`"
            )
        watermark_id, watermark_at, purchases = session.execute(
            select(func.max(Purchase.id), func.max(Purchase.purchased_at), func.count()).where(
                Purchase.team_id == team_id
            )
        ).one()
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
        predicted = _model_predictions(session, found, fit, settings)
        session.add(fit)
        session.flush()
        with replacing_scores(session, team_id=team_id, customers=fit.customers):
            if predicted is not None:
                predictions, gg = predicted
                patterns.write_scores(
                    session, found, fit_id=fit.id, predictions=predictions, gamma_gamma=gg
                )
                _store_totals(fit, predictions, gg, settings)
            else:
                summary = patterns.per_customer(session, found)
                scores = _historic_scores(session, summary, fit, settings, now)
                write_scores(session, team_id=team_id, fit_id=fit.id, scores=scores)
                fit.total_clv = float(scores["clv"].sum())
                fit.total_value_at_risk = 0.0
                fit.at_risk_customers = 0
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
    session: Session, found: patterns.Condensed, fit: AnalyticsFit, settings: AnalyticsSettings
) -> tuple[pd.DataFrame, clv_models.GammaGamma] | None:
    """Per-pattern predictions and the Gamma-Gamma fit, or None (and why) for the fallback."""
    if fit.repeat_customers < settings.min_repeat_customers:
        fit.method, fit.reason = (
            HISTORIC,
            (
                f"only {fit.repeat_customers} customers bought more than once "
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
    spends = patterns.spends(session, found)
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
    predictions["discounted"] = clv_models.discounted_expected_purchases(
        bg,
        f,
        r,
        t,
        months=settings.horizon_months,
        monthly_discount_rate=settings.monthly_discount_rate,
        unit=fit.time_unit,
    )
    broken = ~np.isfinite(predictions[["p_alive", "expected_purchases", "discounted"]]).all(axis=1)
    if broken.any():
        fit.method, fit.reason = (
            HISTORIC,
            "the fitted models gave no finite prediction for "
            f"{int(predictions.loc[broken, 'customers'].sum())} customers",
        )
        return None
    return predictions, gg


def _store_totals(
    fit: AnalyticsFit,
    predictions: pd.DataFrame,
    gg: clv_models.GammaGamma,
    settings: AnalyticsSettings,
) -> None:
    """Totals over every customer, added up per pattern: E(M | x, m) is linear in m."""
    x = predictions["frequency"].to_numpy(dtype=float)
    weight = gg.p * x / (gg.p * x + gg.q - 1)
    customers = predictions["customers"].to_numpy(dtype=float)
    order_values = (
        customers * (1 - weight) * gg.population_mean
        + weight * predictions["monetary_sum"].to_numpy()
    )
    clv = order_values * predictions["discounted"].to_numpy()
    alive = predictions["p_alive"].to_numpy()
    fit.total_clv = float(clv.sum())
    fit.total_value_at_risk = float((clv * (1 - alive)).sum())
    fit.at_risk_customers = int(customers[alive < settings.churn_risk_threshold].sum())


def _historic_scores(
    session: Session,
    summary: pd.DataFrame,
    fit: AnalyticsFit,
    settings: AnalyticsSettings,
    now: datetime,
) -> pd.DataFrame:
    """Average order value x purchases per month (over the customer's tenure) x horizon months."""
    rows = session.execute(
        text(
            "SELECT customer_id, COUNT(*), SUM(amount), MIN(purchased_at) FROM purchase "
            "WHERE team_id = :team_id AND amount >= 0 GROUP BY customer_id"
        ),
        {"team_id": fit.team_id},
    ).all()
    orders = pd.DataFrame(rows, columns=["customer_id", "orders", "revenue", "first"]).set_index(
        "customer_id"
    )
    first = pd.to_datetime(orders["first"], utc=True, format="mixed")
    tenure_months = ((pd.Timestamp(now) - first).dt.days / 30.4375).clip(lower=1.0)
    average_order = orders["revenue"].astype(float) / orders["orders"]
    per_month = orders["orders"] / tenure_months
    scores = summary.copy()
    scores["clv"] = (
        (average_order * per_month * settings.horizon_months).reindex(scores.index).fillna(0.0)
    )
    scores["expected_purchases"] = (per_month * settings.horizon_months).reindex(scores.index)
    scores["p_alive"] = np.nan
    scores["value_at_risk"] = np.nan
    return scores
