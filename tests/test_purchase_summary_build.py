"""The aggregates' build (one INSERT ... SELECT) and the earlier-end read give a groupby's rows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import insert, text

from crm_core import purchase_summaries
from crm_core.analytics import patterns
from crm_core.analytics.summary import period_index
from crm_core.customers import create_customer
from crm_core.models import Purchase

START = datetime(2025, 1, 1, tzinfo=UTC)
END = datetime(2026, 7, 1, tzinfo=UTC)


def fill(session, seed=7, teams=("T1", "T2", "T3"), purchases=1500):
    """Random purchases over several teams: bursts within a day (same period), refunds,
    free orders, customers with nothing but refunds, and one with none at all."""
    rng = np.random.default_rng(seed)
    rows = []
    for team in teams:
        ids = []
        for k in range(40):
            customer = create_customer(session, team_id=team, name=f"{team} customer {k}")
            ids.append(customer.id)
        for _ in range(purchases // len(teams)):
            customer = int(rng.choice(ids[:-2]))
            when = START + timedelta(seconds=int(rng.integers(0, 540 * 86_400)))
            for extra in range(int(rng.integers(1, 4))):  # up to 3 in the same hour
                cents = int(rng.integers(-3_000, 20_000))
                if rng.random() < 0.05:
                    cents = 0
                rows.append((team, customer, when + timedelta(minutes=extra * 7), cents))
        rows.append((team, ids[-2], START + timedelta(days=3), -1_250))  # refunds only
    session.execute(
        insert(Purchase),
        [
            {
                "team_id": team,
                "customer_id": customer,
                "purchased_at": when,
                "amount": Decimal(cents) / 100,
                "currency": "USD",
            }
            for team, customer, when, cents in rows
        ],
    )
    session.flush()
    return pd.DataFrame(rows, columns=["team_id", "customer_id", "purchased_at", "cents"])


def expected(purchases: pd.DataFrame, team: str, unit: str, end: int | None = None):
    """The aggregates by pandas: refunds are no purchase period; a period's amounts add up;
    refunds net against the value (at least 0, the first period's at most the net)."""
    mine = purchases[purchases["team_id"] == team].copy()
    mine["period"] = [period_index(when, unit) for when in mine["purchased_at"]]
    if end is not None:
        mine = mine[mine["period"] <= end]
    refunds = mine[mine["cents"] < 0].groupby("customer_id")["cents"].sum()
    mine = mine[mine["cents"] >= 0]
    periods = mine.groupby(["customer_id", "period"], as_index=False)["cents"].sum()
    spans = periods.groupby("customer_id").agg(
        first_period=("period", "min"),
        last_period=("period", "max"),
        periods=("period", "size"),
        total=("cents", "sum"),
    )
    firsts = periods.groupby("customer_id").first()["cents"]  # sorted by period within
    refunded = refunds.reindex(spans.index, fill_value=0)
    net = (spans["total"] + refunded).clip(lower=0)
    return pd.DataFrame(
        {
            "first_period": spans["first_period"],
            "last_period": spans["last_period"],
            "periods": spans["periods"],
            "first_period_value": np.minimum(net, firsts) / 100,
            "total_value": net / 100,
            "refunded_value": refunded / 100,
        }
    ).astype({"first_period": "int64", "last_period": "int64", "periods": "int64"})


def stored(session, team: str) -> pd.DataFrame:
    rows = session.execute(
        text(
            "SELECT customer_id, first_period, last_period, periods, first_period_value, "
            "total_value, refunded_value, time_unit FROM purchase_summary WHERE team_id = :team "
            "ORDER BY customer_id"
        ),
        {"team": team},
    ).all()
    frame = pd.DataFrame(rows, columns=["customer_id", *purchase_summaries.COLUMNS[1:], "unit"])
    return frame.set_index("customer_id").astype(
        {"first_period": "int64", "last_period": "int64", "periods": "int64"}
    )


@pytest.mark.parametrize("unit", ["D", "W", "M"])
def test_rebuild_equals_a_groupby_of_the_purchases(session, monkeypatch, unit):
    purchases = fill(session)
    monkeypatch.setattr(purchase_summaries, "_CHUNK", 37)  # customers cut across reads
    for team in ("T1", "T2"):
        purchase_summaries.rebuild(session, team_id=team, unit=unit)
    for team in ("T1", "T2"):
        ours = stored(session, team)
        assert set(ours.pop("unit")) == {unit}
        pd.testing.assert_frame_equal(ours, expected(purchases, team, unit), check_dtype=False)
    assert stored(session, "T3").empty  # never built


def test_rebuild_equals_the_reference_sql(session):
    fill(session, seed=11)
    purchase_summaries.rebuild(session, team_id="T2", unit="W")
    dialect = session.get_bind().dialect.name
    sql = purchase_summaries.aggregates_sql(dialect, "W")
    rows = session.execute(text(f"SELECT * FROM ({sql}) AS r ORDER BY 1"), {"team_id": "T2"}).all()
    reference = pd.DataFrame(rows, columns=list(purchase_summaries.COLUMNS))
    ours = stored(session, "T2").drop(columns="unit").reset_index()
    assert len(ours) == len(reference) > 30
    integers = ["customer_id", "first_period", "last_period", "periods"]
    assert (ours[integers].to_numpy() == reference[integers].to_numpy()).all()
    # Whole cents add up exactly; the SQL's float sums on SQLite may differ in the last bit.
    for name in ("first_period_value", "total_value", "refunded_value"):
        np.testing.assert_allclose(ours[name], reference[name].astype(float), rtol=1e-12)


def test_rebuilding_some_customers_and_an_earlier_end(session, monkeypatch):
    purchases = fill(session, seed=3, teams=("T1",), purchases=600)
    monkeypatch.setattr(purchase_summaries, "_CHUNK", 5)
    purchase_summaries.rebuild(session, team_id="T1", unit="W")
    some = sorted(purchases["customer_id"].unique())[:5]
    session.execute(
        insert(Purchase),
        [
            {
                "team_id": "T1",
                "customer_id": int(customer),
                "purchased_at": START + timedelta(days=100),
                "amount": Decimal("1.25"),
                "currency": "USD",
            }
            for customer in some
        ],
    )
    more = pd.DataFrame(
        [("T1", customer, START + timedelta(days=100), 125) for customer in some],
        columns=purchases.columns,
    )
    purchases = pd.concat([purchases, more], ignore_index=True)
    purchase_summaries.rebuild(session, team_id="T1", unit="W", customer_ids=some)
    ours = stored(session, "T1").drop(columns="unit")
    pd.testing.assert_frame_equal(ours, expected(purchases, "T1", "W"), check_dtype=False)
    # An observation end before some purchases: the aggregates up to its period only.
    end = period_index(START + timedelta(days=200), "W")
    found = patterns.condense(
        session, team_id="T1", unit="W", observation_end=START + timedelta(days=200)
    )
    earlier = found.customers.set_index("customer_id").sort_index()
    want = expected(purchases, "T1", "W", end=end)
    assert list(earlier.index) == list(want.index)
    for name in ("first_period", "last_period", "periods", "total_value"):
        assert (earlier[name].to_numpy() == want[name].to_numpy()).all(), name


@pytest.mark.parametrize("unit", ["D", "W", "M"])
def test_the_auto_choices_calibration_patterns_equal_a_groupby(session, unit):
    """`auto`'s holdout check reads the calibration's (x, t_x, T) from the aggregates plus the
    holdout's purchases, or from every purchase: both are a groupby of the purchases up to the
    calibration end (refunds are no period), per customer who had bought by then."""
    from crm_core.analytics import scoring

    purchases = fill(session, seed=5, teams=("T1", "T2"))
    found = patterns.condense(session, team_id="T1", unit=unit, observation_end=END)
    assert found.relation == "purchase_summary"
    calibration_end = period_index(START + timedelta(days=301), unit)
    own = purchases[(purchases["team_id"] == "T1") & (purchases["cents"] >= 0)]
    period = own["purchased_at"].map(lambda moment: period_index(moment, unit))
    own = own.assign(p=period)[period <= calibration_end]
    per = own.groupby("customer_id")["p"].agg(f="min", l="max", n="nunique")
    want = (
        per.assign(frequency=per.n - 1, recency=per.l - per.f, T=calibration_end - per.f)
        .groupby(["frequency", "recency", "T"])
        .agg(customers=("n", "size"), periods=("n", "sum"))
        .reset_index()
        .astype(float)
    )
    assert len(want) > 10
    for relation in ("purchase_summary", "purchases"):
        asked = patterns.Condensed(relation, "T1", found.end, found.customers, found.patterns)
        got = scoring._calibration_patterns(session, asked, calibration_end, unit)
        got = got.sort_values(["frequency", "recency", "T"]).reset_index(drop=True)
        pd.testing.assert_frame_equal(got.astype(float), want, check_names=False)
