"""Refreshing CLV scores: the models on real data, the historic fallback, and thin data."""

from __future__ import annotations

import warnings
from datetime import UTC, datetime

import numpy as np
import pytest
from sqlmodel import select

from crm_core.analytics.customer_scores import CustomerScore
from crm_core.analytics.customer_scores import scores as score_rows
from crm_core.analytics.scoring import HISTORIC, MODELS, NotEnoughData, freshness, refresh_scores
from crm_core.customers import create_customer
from crm_core.purchases import record_purchase
from crm_core.settings import AnalyticsSettings
from tests.analytics_data import CDNOW_END, load_cdnow

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from lifetimes import BetaGeoFitter, GammaGammaFitter
    from lifetimes.utils import summary_data_from_transaction_data

SETTINGS = AnalyticsSettings(model="bgnbd")  # compared with lifetimes.BetaGeoFitter


def scores(session, team_id="T1"):
    return [CustomerScore(*row) for row in session.execute(select(score_rows(team_id))).all()]


def test_refresh_matches_the_naive_lifetimes_pipeline(session):
    purchases = load_cdnow(session, customers=1_000)
    fit = refresh_scores(session, team_id="T1", settings=SETTINGS, now=CDNOW_END)
    assert fit.method == MODELS and fit.bg_converged and fit.gg_converged
    assert fit.unique_patterns < fit.customers

    summary = summary_data_from_transaction_data(
        purchases,
        "customer_id",
        "date",
        monetary_value_col="amount",
        freq="W",
        observation_period_end=CDNOW_END,
    )
    bgf = BetaGeoFitter().fit(summary["frequency"], summary["recency"], summary["T"])
    for name in ("r", "alpha", "a", "b"):
        assert getattr(fit, f"bg_{name}") == pytest.approx(bgf.params_[name], rel=1e-4), name
    repeat = summary[(summary["frequency"] > 0) & (summary["monetary_value"] > 0)]
    ggf = GammaGammaFitter().fit(repeat["frequency"], repeat["monetary_value"])
    for name in ("p", "q", "v"):
        assert getattr(fit, f"gg_{name}") == pytest.approx(ggf.params_[name], rel=1e-4), name

    clv = ggf.customer_lifetime_value(
        bgf,
        summary["frequency"],
        summary["recency"],
        summary["T"],
        summary["monetary_value"],
        time=12,
        discount_rate=0.01,
        freq="W",
    )
    stored = {s.customer_id: s for s in scores(session)}
    assert len(stored) == len(summary) == 1_000
    by_external = {i + 1: i + 1 for i in range(1_000)}  # CDNOW ids 1..1000 were inserted in order
    ours = np.array([stored[by_external[int(k)]].clv for k in summary.index])
    assert np.allclose(ours, clv.to_numpy(), rtol=1e-3)
    alive = np.array([stored[by_external[int(k)]].p_alive for k in summary.index])
    theirs = bgf.conditional_probability_alive(
        summary["frequency"], summary["recency"], summary["T"]
    )
    assert np.allclose(alive, theirs, rtol=1e-3)
    for s in stored.values():
        assert s.value_at_risk == pytest.approx(s.clv * (1 - s.p_alive))


def test_too_few_repeat_customers_fall_back_to_the_historic_formula(session):
    acme = create_customer(session, team_id="T1", name="Acme")
    for month, amount in ((1, "100"), (2, "300")):
        record_purchase(
            session,
            team_id="T1",
            customer_id=acme.id,
            amount=amount,
            default_currency="USD",
            purchased_at=datetime(2026, month, 1, tzinfo=UTC),
        )
    fit = refresh_scores(
        session, team_id="T1", settings=SETTINGS, now=datetime(2026, 5, 1, tzinfo=UTC)
    )
    assert fit.method == HISTORIC and "only 1 customer bought more than once" in fit.reason
    [score] = scores(session)
    # The one customer bought again (repeat rate 1/1), and the year ahead is longer than
    # the 17 weeks seen, so one more order of their $200 average: no rate is extrapolated.
    assert score.expected_purchases == pytest.approx(1.0)
    assert score.clv == pytest.approx(200.0)
    assert score.p_alive is None and score.value_at_risk is None and score.p_no_purchase is None


def test_a_single_recent_order_is_not_extrapolated_into_a_rate(session):
    """One $171 order 17 days ago: the old formula said 12.0 purchases and CLV $2,052."""
    now = datetime(2026, 5, 18, tzinfo=UTC)
    buyer = create_customer(session, team_id="T1", name="New buyer")
    record_purchase(
        session,
        team_id="T1",
        customer_id=buyer.id,
        amount="171",
        default_currency="USD",
        purchased_at=datetime(2026, 5, 1, tzinfo=UTC),
    )
    fit = refresh_scores(session, team_id="T1", settings=SETTINGS, now=now)
    assert fit.method == HISTORIC
    [score] = scores(session)
    # Nobody has ever bought twice: no repeat is expected, and what is known is the $171.
    assert score.expected_purchases == 0.0 and score.clv == 0.0


def test_historic_expected_purchases_are_the_population_repeat_rate(session):
    now = datetime(2026, 7, 1, tzinfo=UTC)
    for n in range(4):
        customer = create_customer(session, team_id="T1", name=f"Buyer {n}")
        for month in (1, 3) if n == 0 else (2,):
            record_purchase(
                session,
                team_id="T1",
                customer_id=customer.id,
                amount="100" if n else "50",
                default_currency="USD",
                purchased_at=datetime(2026, month, 2, tzinfo=UTC),
            )
    refresh_scores(session, team_id="T1", settings=SETTINGS, now=now)
    stored = sorted(scores(session), key=lambda s: s.customer_id)
    # 1 of 4 customers bought again: 0.25 purchases each in the year ahead, at their own
    # average order value ($50 for the first, $100 for the others).
    assert [s.expected_purchases for s in stored] == pytest.approx([0.25] * 4)
    assert [s.clv for s in stored] == pytest.approx([12.5, 25.0, 25.0, 25.0])


@pytest.mark.parametrize(
    "case",
    ["one purchase each", "all on one day", "one customer only", "refunds and zeros"],
)
def test_thin_data_gets_an_answer_never_a_traceback(session, case):
    day = datetime(2026, 1, 5, tzinfo=UTC)
    amounts = {"refunds and zeros": ["0", "-50", "25"]}.get(case, ["10"])
    count = 1 if case == "one customer only" else 60
    for n in range(count):
        customer = create_customer(session, team_id="T1", name=f"Customer {n}")
        repeats = 3 if case in ("all on one day", "refunds and zeros", "one customer only") else 1
        for k in range(repeats):
            record_purchase(
                session,
                team_id="T1",
                customer_id=customer.id,
                amount=amounts[k % len(amounts)],
                default_currency="USD",
                purchased_at=day if case == "all on one day" else day.replace(day=5 + 7 * k),
            )
    fit = refresh_scores(
        session, team_id="T1", settings=SETTINGS, now=datetime(2026, 3, 1, tzinfo=UTC)
    )
    assert fit.method in (MODELS, HISTORIC)
    if fit.method == HISTORIC:
        assert fit.reason
    assert all(np.isfinite(s.clv) and s.clv >= 0 for s in scores(session))


def test_no_purchases_at_all_is_explained(session):
    create_customer(session, team_id="T1", name="Acme")
    with pytest.raises(NotEnoughData, match="no purchases yet"):
        refresh_scores(
            session, team_id="T1", settings=SETTINGS, now=datetime(2026, 3, 1, tzinfo=UTC)
        )


def test_a_new_purchase_makes_the_scores_stale(session):
    load_cdnow(session, customers=300)
    assert freshness(session, team_id="T1").stale  # never scored
    refresh_scores(session, team_id="T1", settings=SETTINGS, now=CDNOW_END)
    assert not freshness(session, team_id="T1").stale
    record_purchase(session, team_id="T1", customer_id=1, amount="5", default_currency="USD")
    assert freshness(session, team_id="T1").stale
    assert scores(session, team_id="T2") == []


def test_totals_stored_with_the_fit_equal_the_sum_of_the_scores(session):
    from crm_core.analytics.values import value_totals

    load_cdnow(session, customers=400)
    fit = refresh_scores(session, team_id="T1", settings=SETTINGS, now=CDNOW_END)
    stored = value_totals(session, team_id="T1", alive_threshold=0.5, fit=fit)
    added_up = value_totals(session, team_id="T1", alive_threshold=0.5)
    assert stored.customers == added_up.customers == 400
    assert stored.clv == pytest.approx(added_up.clv) and stored.value_at_risk == pytest.approx(
        added_up.value_at_risk
    )
    assert stored.at_risk == added_up.at_risk > 0
    assert stored.at_risk_clv > 0 and stored.at_risk_clv == pytest.approx(added_up.at_risk_clv)
    assert stored.at_risk_value > 0
    assert stored.at_risk_value == pytest.approx(added_up.at_risk_value)
    assert stored.at_risk_value < stored.value_at_risk  # the at-risk ones', not everyone's
    other = value_totals(
        session, team_id="T1", alive_threshold=0.3, fit=fit
    )  # another threshold: added up
    assert other.at_risk <= stored.at_risk
