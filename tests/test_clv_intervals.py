"""CLV intervals (analytics.intervals) and P(no purchase over the horizon), stored at refresh
and shown in clv, clv top, clv <customer> and the 360 card, on CDNOW."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, stats
from sqlmodel import select

from crm_core.analytics import clv_models
from crm_core.analytics.customer_scores import CustomerScore, scores
from crm_core.analytics.scoring import refresh_scores
from crm_core.db import unit_of_work
from crm_core.models import ScoreRank
from crm_core.settings import AnalyticsSettings
from tests.analytics_data import CDNOW_END, load_cdnow

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from lifetimes import BetaGeoFitter, ModifiedBetaGeoFitter, ParetoNBDFitter

CDNOW_CUSTOMERS = 23_570


def _scores(session, team_id: str) -> dict[int, CustomerScore]:
    rows = session.execute(select(scores(team_id))).all()
    return {row.customer_id: CustomerScore(*row) for row in rows}


def _ranked(session, team_id: str) -> list[ScoreRank]:
    return list(
        session.exec(
            select(ScoreRank)
            .where(ScoreRank.team_id == team_id, ScoreRank.ranking == "clv")
            .order_by(ScoreRank.position)
        ).all()
    )


def test_the_interval_holds_the_estimate_is_stored_and_widens_on_a_tenth_of_the_data(session):
    load_cdnow(session, customers=CDNOW_CUSTOMERS, team_id="ALL")
    load_cdnow(session, customers=CDNOW_CUSTOMERS // 10, team_id="TENTH")
    settings = AnalyticsSettings(model="mbgnbd")
    widths = {}
    for team_id in ("ALL", "TENTH"):
        fit = refresh_scores(session, team_id=team_id, settings=settings, now=CDNOW_END)
        assert fit.interval_level == 0.9
        assert fit.total_clv_low < fit.total_clv < fit.total_clv_high
        widths[team_id] = (fit.total_clv_high - fit.total_clv_low) / fit.total_clv
        ranked = _ranked(session, team_id)
        assert len(ranked) == min(1_000, fit.customers)
        clv = {customer_id: score.clv for customer_id, score in _scores(session, team_id).items()}
        for row in ranked:
            assert row.clv_low < clv[row.customer_id] < row.clv_high, row.customer_id
    # Parameter uncertainty shrinks as 1/sqrt(n): ten times the customers, ~3 times narrower.
    assert 2 < widths["TENTH"] / widths["ALL"] < 5, widths
    assert 0.005 < widths["ALL"] < 0.1, widths


def test_a_lower_level_gives_a_narrower_interval_inside_the_wider(session):
    load_cdnow(session, customers=2_000)
    wide = refresh_scores(session, team_id="T1", settings=AnalyticsSettings(), now=CDNOW_END)
    wide = (wide.total_clv_low, wide.total_clv_high)
    narrow = refresh_scores(
        session, team_id="T1", settings=AnalyticsSettings(interval_level=0.5), now=CDNOW_END
    )
    assert narrow.interval_level == 0.5
    assert wide[0] < narrow.total_clv_low < narrow.total_clv < narrow.total_clv_high < wide[1]


def test_the_covariance_matches_a_bootstrap_of_the_customers():
    """The inverse-Hessian standard errors of BG/NBD's log-parameters against refits on
    customers resampled with replacement (multinomial weights on the distinct patterns)."""
    from crm_core.demo import cdnow_purchases

    purchases = cdnow_purchases()
    weeks = (purchases["date"] - purchases["date"].min()).dt.days // 7
    purchases = purchases.assign(week=weeks)
    per = purchases.groupby("customer_id")["week"].agg(["nunique", "min", "max"])
    end = (CDNOW_END.replace(tzinfo=None) - purchases["date"].min()).days // 7
    patterns = (
        per.assign(x=per["nunique"] - 1, t_x=per["max"] - per["min"], T=end - per["min"])
        .groupby(["x", "t_x", "T"])
        .size()
        .rename("n")
        .reset_index()
    )
    x, t_x, T, n = (patterns[name].to_numpy() for name in ("x", "t_x", "T", "n"))
    model = clv_models.fit_model("bgnbd", x, t_x, T, n)
    covariance = clv_models.log_parameter_covariance(model, x, t_x, T, n)
    rng = np.random.default_rng(3)
    refits = []
    for _ in range(40):
        weights = rng.multinomial(n.sum(), n / n.sum())
        kept = weights > 0
        refit = clv_models.fit_model("bgnbd", x[kept], t_x[kept], T[kept], weights[kept])
        refits.append(np.log(list(refit.params.values())))
    bootstrap = np.std(refits, axis=0, ddof=1)
    # 40 refits estimate a standard error to about +/-25% (chi-square, 95%).
    assert np.sqrt(np.diag(covariance)) == pytest.approx(bootstrap, rel=0.35)


def _no_purchase_by_integration(name: str, params: dict, t: float, x, t_x, T) -> float:
    """P(dead at T) + P(alive) x P(0 events in t | alive): the Poisson rate's posterior is
    Gamma(r + x, alpha + T) for BG/NBD and MBG/NBD, integrated numerically; P(alive) is
    lifetimes' own."""
    fitter = {"bgnbd": BetaGeoFitter, "mbgnbd": ModifiedBetaGeoFitter}[name]()
    fitter.params_ = pd.Series(params)
    alive = np.ravel(fitter.conditional_probability_alive(x, t_x, T))[0]
    posterior = stats.gamma(params["r"] + x, scale=1 / (params["alpha"] + T))
    none_if_alive, _ = integrate.quad(
        lambda rate: np.exp(-rate * t) * posterior.pdf(rate), 0, np.inf
    )
    return (1 - alive) + alive * none_if_alive


@pytest.mark.parametrize("name", clv_models.MODEL_NAMES)
def test_p_no_purchase_matches_an_independent_computation(session, name):
    load_cdnow(session, customers=1_000)
    fit = refresh_scores(
        session, team_id="T1", settings=AnalyticsSettings(model=name), now=CDNOW_END
    )
    params = json.loads(fit.model_params)
    horizon = fit.horizon_months * clv_models.UNITS_PER_MONTH[fit.time_unit]
    stored = sorted(_scores(session, "T1").values(), key=lambda s: s.customer_id)
    chosen = [s for s in stored if s.frequency == 0][:2] + [s for s in stored if s.frequency > 3][
        :3
    ]
    for score in chosen:
        x, t_x, T = score.frequency, score.recency, score.age
        if name == "paretonbd":
            fitter = ParetoNBDFitter()
            fitter.params_ = pd.Series(params)
            expected = float(
                fitter.conditional_probability_of_n_purchases_up_to_time(0, horizon, x, t_x, T)
            )
        else:
            expected = _no_purchase_by_integration(name, params, horizon, x, t_x, T)
        assert score.p_no_purchase == pytest.approx(expected, abs=1e-6), (score, expected)
        assert score.p_no_purchase >= 1 - score.p_alive - 1e-9


def _money(value: float) -> str:
    return f"${value:,.2f}"


def test_clv_clv_top_the_customer_and_the_card_show_the_stored_intervals(bot, engine):
    with unit_of_work(engine) as session:
        load_cdnow(session, customers=1_500)
    bot.now = CDNOW_END
    summary = bot.exec("clv")
    fit = bot.result.status.fit
    label = clv_models.LABELS[fit.model]
    total = f"(90% interval {_money(fit.total_clv_low)}–{_money(fit.total_clv_high)})"
    assert total in summary
    basis = (
        f"The intervals (90%) cover the uncertainty of the fitted {label} and Gamma-Gamma "
        "parameters only, not the chance in each customer's own purchases; "
        "in USD, as of 1998-06-30."
    )
    assert basis in summary
    slack = str(bot.slack("clv")["blocks"])
    assert total in slack and basis in slack

    top = bot.exec("clv top 3")
    values, intervals = bot.result.values, bot.result.intervals
    assert len(intervals) == 3
    for value in values:
        low, high = intervals[value.customer_id]
        assert low < value.clv < high
        assert f"{_money(value.clv)} ({_money(low)}–{_money(high)})" in top
        assert f"{_money(value.clv)} ({_money(low)}–{_money(high)})" in str(
            bot.slack("clv top 3")["blocks"]
        )

    best = values[0]
    low, high = intervals[best.customer_id]
    phrase = f"90% interval {_money(low)}–{_money(high)}: uncertainty of the {label}"
    with unit_of_work(engine) as session:
        score = _scores(session, "T1")[best.customer_id]
        ranked = {row.customer_id for row in _ranked(session, "T1")}
        outside = min(set(_scores(session, "T1")) - ranked)
    no_purchase = f"P(no purchase in the next 12 months) {100 * score.p_no_purchase:.0f}%"
    one = bot.exec(f"clv #{best.customer_id}")
    assert phrase in one and no_purchase in one and "P(alive)" in one
    assert phrase in str(bot.slack(f"clv #{best.customer_id}")["blocks"])
    card = bot.exec(f"customer #{best.customer_id}")
    assert f"CLV interval: {phrase}" in card and no_purchase in card and "P(alive)" in card
    card_blocks = str(bot.slack(f"customer #{best.customer_id}")["blocks"])
    assert phrase in card_blocks and "*P(no purchase in the next 12 months):*" in card_blocks

    only_top = "no interval: it is computed at each refresh for the top 1,000 customers by CLV only"
    assert only_top in bot.exec(f"clv #{outside}")
    assert only_top in bot.exec(f"customer #{outside}")


def test_the_historic_fallback_gives_no_interval_and_says_why(bot, engine):
    with unit_of_work(engine) as session:
        load_cdnow(session, customers=40)  # under 50 repeat buyers: the historic formula
    bot.now = CDNOW_END
    summary = bot.exec("clv")
    fit = bot.result.status.fit
    assert fit.method == "historic"
    assert fit.interval_level is None and fit.total_clv_low is None
    assert "(no interval: historic formula)" in summary and "intervals (" not in summary
    assert "(no interval: historic formula)" in str(bot.slack("clv")["blocks"])
    with unit_of_work(engine) as session:
        assert all(row.clv_low is None for row in _ranked(session, "T1"))
    assert "no interval (historic formula)" in bot.exec("clv #1")
    card = bot.exec("customer #1")
    assert "CLV interval: no interval (historic formula)" in card
    assert "P(no purchase" not in card


def test_between_refreshes_the_total_is_the_refreshs_with_its_interval(bot, engine):
    from datetime import timedelta

    from crm_core.purchases import record_purchase

    with unit_of_work(engine) as session:
        load_cdnow(session, customers=600)
    bot.now = CDNOW_END
    bot.exec("clv")
    fit = bot.result.status.fit
    low, high = _money(fit.total_clv_low), _money(fit.total_clv_high)
    with unit_of_work(engine) as session:
        # A purchase in a period after the fit's end leaves that customer unscored until the
        # next refresh, so the live total no longer is the one the interval was computed for.
        record_purchase(
            session,
            team_id="T1",
            customer_id=bot.result.values[0].customer_id,
            amount="50",
            default_currency="USD",
            purchased_at=CDNOW_END + timedelta(days=8),
        )
    bot.now = CDNOW_END + timedelta(days=9)
    text = str(bot.slack("clv", source="slack")["blocks"])  # Slack does not refresh
    # The totals are the refresh's, as the stored rankings are: the interval belongs to them,
    # and the answer says that new purchases came since.
    assert f"CLV {_money(fit.total_clv)} (90% interval {low}–{high})" in text, text
    assert "New purchases arrived since; the next refresh will include them." in text
