"""Per-customer purchase aggregates stay equal to the SQL summary through every kind of write."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
from sqlalchemy import insert

from crm_core import purchase_summaries
from crm_core.analytics import patterns
from crm_core.analytics.summary import rfm_summary
from crm_core.customers import create_customer, merge_customers
from crm_core.importing import import_csv
from crm_core.models import Purchase
from crm_core.purchases import record_purchase

END = datetime(2026, 6, 30, tzinfo=UTC)


def buy(session, customer, when, amount):
    record_purchase(
        session,
        team_id="T1",
        customer_id=customer.id,
        amount=amount,
        default_currency="USD",
        purchased_at=when,
    )


def assert_agrees(session, unit="W"):
    assert purchase_summaries.is_current(session, team_id="T1", unit=unit)
    found = patterns.condense(session, team_id="T1", unit=unit, observation_end=END)
    assert found.relation == "purchase_summary"
    ours = patterns.per_customer(found)
    sql = rfm_summary(session, team_id="T1", unit=unit, observation_end=END)
    pd.testing.assert_frame_equal(ours, sql, check_dtype=False)


def test_aggregates_follow_every_write(session, tmp_path):
    a, b, c = (
        create_customer(session, team_id="T1", name=n, external_id=n) for n in ("A", "B", "C")
    )
    start = datetime(2026, 1, 5, 10, tzinfo=UTC)  # a Monday
    buy(session, a, start, "10")
    purchase_summaries.rebuild(session, team_id="T1", unit="W")
    assert_agrees(session)
    buy(session, a, start + timedelta(days=1), "5")  # same week as the first
    buy(session, a, start + timedelta(weeks=6), "20")  # a later week
    buy(session, a, start + timedelta(weeks=3), "7")  # a week in between: re-read
    buy(session, a, start + timedelta(weeks=3, days=2), "1")  # that week again
    buy(session, a, start - timedelta(weeks=2), "30")  # before the first
    buy(session, a, start + timedelta(weeks=6), "-20")  # a refund is no purchase
    buy(session, b, start + timedelta(weeks=1), "0")  # a free order is a purchase
    buy(session, b, start + timedelta(weeks=9), "12.5")
    assert_agrees(session)
    path = tmp_path / "more.csv"
    path.write_text(
        "customer_id,date,amount\nC,2026-02-02,40\nC,2026-03-02,60\nA,2026-04-01,9\nD,2026-04-02,3\n"
    )
    import_csv(session, team_id="T1", kind="purchases", path=path, tz=UTC, default_currency="USD")
    assert_agrees(session)
    merge_customers(session, team_id="T1", keep_id=a.id, merge_id=c.id)
    assert_agrees(session)
    assert_agrees(session, unit="W")
    purchase_summaries.rebuild(session, team_id="T1", unit="D")
    assert_agrees(session, unit="D")


def test_a_purchase_written_behind_their_back_is_noticed(session):
    a = create_customer(session, team_id="T1", name="A")
    buy(session, a, datetime(2026, 1, 5, tzinfo=UTC), "10")
    purchase_summaries.rebuild(session, team_id="T1", unit="W")
    assert purchase_summaries.is_current(session, team_id="T1", unit="W")
    assert not purchase_summaries.is_current(session, team_id="T1", unit="D")
    session.execute(
        insert(Purchase),
        [
            {
                "team_id": "T1",
                "customer_id": a.id,
                "purchased_at": END,
                "amount": 3,
                "currency": "USD",
            }
        ],
    )
    assert not purchase_summaries.is_current(session, team_id="T1", unit="W")
    buy(session, a, datetime(2026, 2, 5, tzinfo=UTC), "10")  # noted writes do not hide it
    assert not purchase_summaries.is_current(session, team_id="T1", unit="W")
    purchase_summaries.rebuild(session, team_id="T1", unit="W")
    assert_agrees(session)


def test_a_purchase_after_the_observation_end_sends_the_summary_back_to_the_purchases(session):
    a = create_customer(session, team_id="T1", name="A")
    b = create_customer(session, team_id="T1", name="B")
    buy(session, a, END - timedelta(weeks=5), "10")
    buy(session, a, END - timedelta(weeks=2), "4")
    buy(session, a, END + timedelta(days=30), "10")
    buy(session, b, END + timedelta(days=30), "7")  # no purchase by the end: not a customer yet
    purchase_summaries.rebuild(session, team_id="T1", unit="W")
    found = patterns.condense(session, team_id="T1", unit="W", observation_end=END)
    assert found.relation != "purchase_summary"
    ours = patterns.per_customer(found)
    assert found.patterns["customers"].sum() == 1
    sql = rfm_summary(session, team_id="T1", unit="W", observation_end=END)
    assert list(ours.index) == [a.id]
    pd.testing.assert_frame_equal(ours, sql, check_dtype=False)
