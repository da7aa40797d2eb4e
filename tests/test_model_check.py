"""The calibration/holdout check reproduces lifetimes' own split and BG/NBD forecast on CDNOW."""

from __future__ import annotations

import warnings
from datetime import date

import pytest

from crm_core.analytics import clv_models
from crm_core.analytics.model_check import check_models
from tests.analytics_data import load_cdnow

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from lifetimes.utils import calibration_and_holdout_data

# Fader, Hardie & Lee (2005): weeks 1-39 of 1997-01-01..1998-06-30 calibrate, 40-78 hold out.
AS_OF, HOLDOUT = date(1998, 6, 30), 39
CUSTOMERS = 1200


@pytest.fixture
def cdnow(session):
    purchases = load_cdnow(session, customers=CUSTOMERS)
    return purchases


def lifetimes_split(purchases):
    return calibration_and_holdout_data(
        purchases,
        "customer_id",
        "date",
        calibration_period_end="1997-09-30",
        observation_period_end="1998-06-30",
        freq="W",
        monetary_value_col="amount",
    )


def test_holdout_actuals_and_bgnbd_forecast_match_lifetimes(session, cdnow):
    check = check_models(session, team_id="T1", unit="W", as_of=AS_OF, holdout_weeks=HOLDOUT)
    theirs = lifetimes_split(cdnow)
    assert check.calibration_end == date(1997, 9, 30)
    assert check.customers == len(theirs)
    assert check.holdout_length == int(theirs["duration_holdout"].iloc[0])
    assert check.actual_purchases == int(theirs["frequency_holdout"].sum())
    bgf = clv_models.fit_bgnbd(theirs["frequency_cal"], theirs["recency_cal"], theirs["T_cal"])
    expected = clv_models.expected_purchases(
        bgf,
        check.holdout_length,
        theirs["frequency_cal"],
        theirs["recency_cal"],
        theirs["T_cal"],
    ).sum()
    bgnbd = next(f for f in check.forecasts if f.name == "bgnbd")
    assert bgnbd.purchases == pytest.approx(expected, rel=1e-4)
    for name in ("r", "alpha", "a", "b"):
        assert bgnbd.params[name] == pytest.approx(getattr(bgf, name), rel=1e-3)
    # By calibration repeat purchases, as in Table 2 of the paper.
    buckets = theirs["frequency_cal"].clip(upper=7).astype(int)
    assert list(check.customers_by_bucket) == [int((buckets == k).sum()) for k in range(8)]
    assert list(check.actual_by_bucket) == [
        int(theirs.loc[buckets == k, "frequency_holdout"].sum()) for k in range(8)
    ]
    assert sum(bgnbd.by_bucket) == pytest.approx(bgnbd.purchases)
