"""BG/NBD and Gamma-Gamma reproduce the papers' published CDNOW estimates."""

from __future__ import annotations

import importlib.resources
import warnings

import numpy as np
import pandas as pd
import pytest

from crm_core.analytics import clv_models

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from lifetimes import BetaGeoFitter, GammaGammaFitter


def dataset(name: str) -> pd.DataFrame:
    return pd.read_csv(importlib.resources.files("lifetimes").joinpath("datasets", name))


@pytest.fixture(scope="module")
def cdnow() -> pd.DataFrame:
    """The 2,357-customer CDNOW cohort in weeks (x, t_x, T), as in Fader, Hardie & Lee (2005)."""
    return dataset("cdnow_customers_summary.csv")


def test_bgnbd_matches_fader_hardie_lee_2005(cdnow):
    model = clv_models.fit_bgnbd(cdnow["frequency"], cdnow["recency"], cdnow["T"])
    assert model is not None
    published = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    for name, value in published.items():
        assert getattr(model, name) == pytest.approx(value, abs=0.001), name


def test_weighted_fit_on_unique_patterns_equals_the_full_fit(cdnow):
    full = clv_models.fit_bgnbd(cdnow["frequency"], cdnow["recency"], cdnow["T"])
    patterns = cdnow.groupby(["frequency", "recency", "T"]).size().reset_index(name="customers")
    assert len(patterns) < len(cdnow) / 2
    weighted = clv_models.fit_bgnbd(
        patterns["frequency"], patterns["recency"], patterns["T"], weights=patterns["customers"]
    )
    for name in ("r", "alpha", "a", "b"):
        assert getattr(weighted, name) == pytest.approx(getattr(full, name), rel=1e-6), name


def test_gamma_gamma_matches_fader_hardie_2013():
    data = dataset("cdnow_customers_summary_with_transactions.csv")
    repeat = data[data["x"] > 0]
    model = clv_models.fit_gamma_gamma(repeat["x"], repeat["zbar"])
    assert model is not None
    assert (model.p, model.q, model.v) == pytest.approx((6.25, 3.74, 15.44), abs=0.01)


def test_our_predictions_equal_lifetimes_own(cdnow):
    model = clv_models.fit_bgnbd(cdnow["frequency"], cdnow["recency"], cdnow["T"])
    data = dataset("cdnow_customers_summary_with_transactions.csv")
    gg = clv_models.fit_gamma_gamma(data.loc[data["x"] > 0, "x"], data.loc[data["x"] > 0, "zbar"])
    bgf = BetaGeoFitter().fit(cdnow["frequency"], cdnow["recency"], cdnow["T"])
    ggf = GammaGammaFitter().fit(data.loc[data["x"] > 0, "x"], data.loc[data["x"] > 0, "zbar"])
    f, r, t, m = data["x"], data["t_x"], data["T"], data["zbar"]
    theirs = ggf.customer_lifetime_value(bgf, f, r, t, m, time=12, discount_rate=0.01, freq="W")
    ours = clv_models.expected_order_value(gg, f, m) * clv_models.discounted_expected_purchases(
        model, f, r, t, months=12, monthly_discount_rate=0.01, unit="W"
    )
    assert np.allclose(ours, theirs.to_numpy(), rtol=1e-6)
    alive = clv_models.probability_alive(model, f, r, t)
    assert np.allclose(alive, bgf.conditional_probability_alive(f, r, t), rtol=1e-6)
    assert ((alive >= 0) & (alive <= 1)).all()


def test_expected_purchases_stay_finite_when_a_plus_b_is_below_one():
    """lifetimes' own formula gives NaN here (log of a negative hypergeometric term)."""
    model = clv_models.BgNbd(r=0.2839, alpha=6.8836, a=0.2009, b=0.7463)
    f, r, t = np.array([0, 0, 3]), np.array([0.0, 0.0, 20.0]), np.array([66.0, 72.0, 70.0])
    ours = clv_models.expected_purchases(model, 52.14, f, r, t)
    assert np.isfinite(ours).all() and (ours > 0).all()
    fitter = BetaGeoFitter()
    fitter.params_ = pd.Series({"r": model.r, "alpha": model.alpha, "a": model.a, "b": model.b})
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = np.asarray(
            fitter.conditional_expected_number_of_purchases_up_to_time(52.14, f, r, t)
        )
    assert np.isnan(theirs[:2]).all()  # the trap this guards against
    assert ours[2] == pytest.approx(theirs[2], rel=1e-9)
    # A customer who never came back is expected to buy less than one who did, recently.
    assert ours[0] < ours[2]
