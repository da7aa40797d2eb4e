"""Retention and churn rates per month and quarter, and the cohort retention table."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from crm_core.analytics.retention import cohort_retention, retention_rates
from crm_core.customers import create_customer
from crm_core.errors import InvalidInput
from crm_core.interactions import log_interaction
from crm_core.purchases import record_purchase

T1, T2 = "T1", "T2"
NOW = datetime(2026, 4, 15, 10, tzinfo=UTC)
INBOUND = "purchases+inbound"  # the calls below keep D active
WINDOW = 30  # days: active at b = a purchase (with INBOUND, a call too) in [b - 30 days, b)


def day(year, month, date, hour=12):
    return datetime(year, month, date, hour, tzinfo=UTC)


def buy(session, customer, *moments, amount="100"):
    for moment in moments:
        record_purchase(
            session,
            team_id=customer.team_id,
            customer_id=customer.id,
            amount=amount,
            default_currency="USD",
            purchased_at=moment,
        )


def call(session, customer, *moments):
    for moment in moments:
        log_interaction(
            session,
            team_id=customer.team_id,
            customer_id=customer.id,
            kind="call",
            summary="checked in",
            author_user_id="U1",
            source="console",
            occurred_at=moment,
        )


@pytest.fixture
def history(session):
    """Seven customers whose activity is known day by day (see the expected figures below)."""
    a, b, c, d, e, f, g = (create_customer(session, team_id=T1, name=name) for name in "ABCDEFG")
    buy(session, a, day(2025, 6, 10), day(2025, 12, 15), day(2026, 1, 20), day(2026, 2, 20))
    buy(session, a, day(2026, 3, 20))
    buy(session, b, day(2025, 11, 1), day(2025, 12, 20))  # gone after December
    buy(session, c, day(2026, 1, 10), day(2026, 2, 15))  # new in January
    buy(session, d, day(2025, 10, 1))  # kept active by calls only
    call(session, d, day(2025, 12, 25), day(2026, 1, 25), day(2026, 2, 10))
    buy(session, e, day(2026, 3, 5))  # new in March
    buy(session, f, day(2025, 5, 1))
    buy(session, f, day(2026, 2, 10), amount="-100")  # a refund is not activity
    buy(session, g, datetime(2026, 2, 1, tzinfo=UTC))  # on the boundary: new in February
    other = create_customer(session, team_id=T2, name="A")
    buy(session, other, *(day(2025, m, 15) for m in range(1, 13)), day(2026, 1, 2))
    call(session, other, day(2026, 2, 2), day(2026, 3, 2))
    return session


def test_monthly_retention_and_churn_match_the_hand_count(history):
    # Active at 1 Jan [2 Dec, 1 Jan): A (15 Dec), B (20 Dec), D (call 25 Dec)         -> 3
    # Active at 1 Feb [2 Jan, 1 Feb): A (20 Jan), C (10 Jan), D (call 25 Jan)         -> 3
    # Active at 1 Mar [30 Jan, 1 Mar): A (20 Feb), C (15 Feb), D (call 10 Feb), G (1 Feb) -> 4
    # Active at 1 Apr [2 Mar, 1 Apr): A (20 Mar), E (5 Mar)                           -> 2
    # New: C in January, G in February, E in March.
    rates = retention_rates(
        history,
        team_id=T1,
        period="month",
        periods=3,
        now=NOW,
        active_window_days=WINDOW,
        active_means=INBOUND,
    )
    assert [(r.label, r.at_start, r.at_end, r.new, r.new_at_end) for r in rates] == [
        ("2026-01", 3, 3, 1, 1),
        ("2026-02", 3, 4, 1, 1),
        ("2026-03", 4, 2, 1, 1),
    ]
    assert [r.retention for r in rates] == pytest.approx([(3 - 1) / 3, (4 - 1) / 3, (2 - 1) / 4])
    assert [r.churn for r in rates] == pytest.approx([1 / 3, 0, 3 / 4])
    assert (rates[0].start, rates[0].end) == (day(2026, 1, 1, 0), day(2026, 2, 1, 0))
    assert rates[-1].end == day(2026, 4, 1, 0)  # April, still running at NOW, is left out


def test_quarters_a_period_without_active_customers_and_new_customers_who_lapsed(history):
    # Active at 1 Jul [1 Jun, 1 Jul): A -> 1; at 1 Oct [1 Sep, 1 Oct): nobody; at 1 Jan: 3;
    # at 1 Apr: A, E -> 2. New in Q4: B (1 Nov), D (1 Oct), both active at 1 Jan. New in Q1:
    # C, G and E, but only E is still active at 1 Apr: only E is subtracted from E = 2.
    rates = retention_rates(
        history,
        team_id=T1,
        period="quarter",
        periods=3,
        now=NOW,
        active_window_days=WINDOW,
        active_means=INBOUND,
    )
    assert [(r.label, r.at_start, r.at_end, r.new, r.new_at_end) for r in rates] == [
        ("2025-Q3", 1, 0, 0, 0),
        ("2025-Q4", 0, 3, 2, 2),
        ("2026-Q1", 3, 2, 3, 1),
    ]
    assert (rates[0].retention, rates[0].churn) == (0.0, 1.0)
    assert (rates[1].retention, rates[1].churn) == (None, None)
    assert (rates[2].retention, rates[2].churn) == (pytest.approx(1 / 3), pytest.approx(2 / 3))
    assert rates[1].start == day(2025, 10, 1, 0) and rates[1].end == day(2026, 1, 1, 0)


def test_a_longer_window_keeps_more_customers_active(history):
    # 90 days before 1 Apr reaches back to 1 Jan: A, C, D, E, G; the refund still does not count.
    rates = retention_rates(
        history,
        team_id=T1,
        period="month",
        periods=1,
        now=NOW,
        active_window_days=90,
        active_means=INBOUND,
    )
    assert [(r.label, r.at_end, r.new) for r in rates] == [("2026-03", 5, 1)]


def test_another_workspace_sees_only_its_own_customers(history):
    rates = retention_rates(
        history,
        team_id=T2,
        period="month",
        periods=3,
        now=NOW,
        active_window_days=WINDOW,
        active_means=INBOUND,
    )
    assert [(r.at_start, r.at_end, r.new) for r in rates] == [(1, 1, 0), (1, 1, 0), (1, 1, 0)]
    empty = retention_rates(history, team_id="T3", now=NOW, active_window_days=WINDOW)
    assert len(empty) == 12 and all(r.retention is None and r.at_end == 0 for r in empty)


def test_cohort_shares_by_first_purchase_month(session):
    new_york = ZoneInfo("America/New_York")
    x1, x2, x3, x4, x5, x6, x7 = (
        create_customer(session, team_id=T1, name=f"X{n}") for n in range(1, 8)
    )
    buy(session, x1, day(2026, 1, 5), day(2026, 2, 7), day(2026, 4, 1))
    buy(session, x2, day(2026, 1, 20), day(2026, 1, 25), day(2026, 3, 3))  # January once
    buy(session, x3, day(2026, 2, 10), day(2026, 3, 10))
    # 28 February 23:30 in New York is 1 March in UTC: a March customer.
    buy(session, x4, datetime(2026, 2, 28, 23, 30, tzinfo=new_york), day(2026, 4, 10))
    buy(session, x5, day(2025, 12, 20), day(2026, 1, 8))  # a December customer, out of range
    buy(session, x6, day(2026, 5, 1))  # after NOW
    buy(session, x7, day(2026, 2, 1), amount="-50")  # a refund makes nobody a customer
    buy(session, create_customer(session, team_id=T2, name="X1"), day(2026, 1, 1))
    table = cohort_retention(session, team_id=T1, months=4, now=NOW)
    assert table.sizes.to_dict() == {"2026-01": 2, "2026-02": 1, "2026-03": 1, "2026-04": 0}
    nan = np.nan
    expected = [
        [1.0, 1 / 2, 1 / 2, 1 / 2],  # X1 in Feb and Apr, X2 in Mar
        [1.0, 1.0, 0.0, nan],  # X3 in Mar; May is still to come
        [1.0, 1.0, nan, nan],  # X4 in Apr
        [nan, nan, nan, nan],  # nobody yet
    ]
    assert list(table.shares.columns) == [0, 1, 2, 3]
    assert list(table.shares.index) == ["2026-01", "2026-02", "2026-03", "2026-04"]
    np.testing.assert_allclose(table.shares.to_numpy(), expected)


def test_bad_parameters_say_what_is_allowed(session):
    with pytest.raises(InvalidInput, match="month, quarter"):
        retention_rates(session, team_id=T1, period="week", now=NOW, active_window_days=WINDOW)
    with pytest.raises(InvalidInput, match="from 1 to"):
        retention_rates(session, team_id=T1, periods=0, now=NOW, active_window_days=WINDOW)
    with pytest.raises(InvalidInput, match="at least 1"):
        retention_rates(session, team_id=T1, now=NOW, active_window_days=0)
    with pytest.raises(InvalidInput, match="timezone-aware"):
        cohort_retention(session, team_id=T1, now=datetime(2026, 4, 15))


def test_customers_coming_back_after_a_lapse_are_reactivated_not_retained(session):
    """Without this, retention exceeds 100% in a month when lapsed customers return."""
    stays, returns = (create_customer(session, team_id=T1, name=n) for n in ("Stays", "Returns"))
    buy(session, stays, day(2025, 12, 1), day(2026, 2, 20), day(2026, 3, 20))
    buy(session, returns, day(2025, 6, 1), day(2026, 2, 25))  # lapsed since the summer
    buy(session, create_customer(session, team_id=T1, name="Old"), day(2025, 1, 1))
    [february, march] = retention_rates(
        session,
        team_id=T1,
        period="month",
        periods=2,
        now=NOW,
        active_window_days=WINDOW,
        active_means=INBOUND,
    )
    # 1 February: Stays last bought on 1 December, so nobody is active.
    assert february.at_start == 0 and february.retention is None
    # March: both active on 1 March; on 1 April only Stays (20 Mar). Nobody came back.
    assert (march.at_start, march.at_end, march.reactivated, march.retention) == (2, 1, 0, 0.5)
    [quarter] = retention_rates(
        session,
        team_id=T1,
        period="quarter",
        periods=1,
        now=NOW,
        active_window_days=90,
        active_means=INBOUND,
    )
    # Q1 2026: active on 1 Jan (90 days back) only Stays; on 1 Apr both; Returns came back.
    assert (quarter.at_start, quarter.at_end, quarter.new, quarter.reactivated) == (1, 2, 0, 1)
    assert quarter.retention == 1.0 and quarter.churn == 0.0
