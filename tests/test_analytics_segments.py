"""RFM scores and segments per customer, the segment summary, and the Pareto share."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from crm_core.analytics.segments import pareto_share, rfm_segments, segment_summary
from crm_core.customers import create_customer
from crm_core.errors import InvalidInput
from crm_core.purchases import record_purchase

T1, T2 = "T1", "T2"
NOW = datetime(2026, 6, 1, 9, tzinfo=UTC)
# name: (days since the last purchase, purchases, revenue); created in this order (ids ascending)
CUSTOMERS = {
    "c1": (1, 6, 500),
    "c2": (5, 5, 200),
    "c3": (20, 4, 100),
    "c4": (40, 3, 50),
    "c5": (60, 3, 50),
    "c6": (90, 2, 40),
    "c7": (150, 2, 30),
    "c8": (200, 1, 15),
    "c9": (300, 1, 10),
    "c10": (400, 1, 5),
}


def buy(session, customer, amount, when):
    record_purchase(
        session,
        team_id=customer.team_id,
        customer_id=customer.id,
        amount=str(amount),
        default_currency="USD",
        purchased_at=when,
    )


@pytest.fixture
def ten(session):
    """The ten customers above, one who never bought, and a bigger spender in workspace T2."""
    ids = {}
    for name, (days, purchases, revenue) in CUSTOMERS.items():
        customer = create_customer(session, team_id=T1, name=name)
        ids[name] = customer.id
        buy(session, customer, revenue - (purchases - 1), NOW - timedelta(days=days))
        for earlier in range(1, purchases):  # the other purchases, 1 each, further back
            buy(session, customer, 1, NOW - timedelta(days=days + 10 * earlier))
    create_customer(session, team_id=T1, name="never bought")
    theirs = create_customer(session, team_id=T2, name="c1")
    buy(session, theirs, 1_000_000, NOW - timedelta(days=1))
    return ids


def test_rfm_scores_and_segments_match_the_hand_table(session, ten):
    frame = rfm_segments(session, team_id=T1, now=NOW).set_index("customer_id")
    frame.index = frame.index.map({v: k for k, v in ten.items()})
    assert list(frame.index) == list(CUSTOMERS)
    assert list(frame["recency_days"]) == [c[0] for c in CUSTOMERS.values()]
    assert list(frame["frequency"]) == [c[1] for c in CUSTOMERS.values()]
    assert list(frame["monetary"]) == [c[2] for c in CUSTOMERS.values()]
    # Score = ceil(5 * rank / 10), rank 1 = worst. Recency: c10 oldest ... c1 newest.
    assert list(frame["r"]) == [5, 5, 4, 4, 3, 3, 2, 2, 1, 1]
    # Frequency ties share their mean rank: the 1s (ranks 1-3) all 2 -> 1, the 2s 4.5 -> 3,
    # the 3s 6.5 -> 4.
    assert list(frame["f"]) == [5, 5, 4, 4, 4, 3, 3, 1, 1, 1]
    # Monetary: the two 50s share rank 6.5 -> 4.
    assert list(frame["m"]) == [5, 5, 4, 4, 4, 3, 2, 2, 1, 1]
    # FM = (F + M) / 2 rounded half up.
    assert list(frame["fm"]) == [5, 5, 4, 4, 4, 3, 3, 2, 1, 1]
    assert list(frame["segment"]) == [
        "Champions",  # bought yesterday, most often, most
        "Champions",
        "Champions",  # R4 FM4
        "Champions",  # R4 FM4
        "Loyal",  # R3 FM4
        "Need attention",  # R3 FM3
        "At risk",  # R2 FM3
        "Hibernating",  # R2 FM2
        "Lost",  # R1 FM1: bought once, 300 days ago
        "Lost",  # R1 FM1: bought once, 400 days ago
    ]


def test_segment_summary_counts_shares_and_the_customers_who_never_bought(session, ten):
    summary = segment_summary(session, team_id=T1, now=NOW)
    assert (summary.customers, summary.customers_without_purchases) == (10, 1)
    assert summary.revenue == Decimal("1000.00")
    rows = {s.segment: s for s in summary.segments}
    assert [s.segment for s in summary.segments] == [
        "Champions", "Loyal", "Need attention", "At risk",
        "Hibernating", "Lost",
    ]  # fmt: skip
    champions = rows["Champions"]
    assert (champions.customers, champions.share, champions.revenue) == (4, 0.4, Decimal("850"))
    assert champions.revenue_share == pytest.approx(0.85)
    assert champions.average_recency_days == pytest.approx((1 + 5 + 20 + 40) / 4)
    lost = rows["Lost"]
    assert (lost.customers, lost.revenue, lost.average_recency_days) == (2, Decimal("15"), 350)
    assert sum(s.customers for s in summary.segments) == 10


def test_refunds_lower_revenue_but_are_not_purchases(session):
    acme = create_customer(session, team_id=T1, name="Acme")
    buy(session, acme, 100, NOW - timedelta(days=30))
    buy(session, acme, -30, NOW - timedelta(days=2))  # the refund is not the last purchase
    refunded_only = create_customer(session, team_id=T1, name="Refunded")
    buy(session, refunded_only, -20, NOW - timedelta(days=2))
    buy(session, acme, 999, NOW + timedelta(days=1))  # after `now`: not yet
    row = rfm_segments(session, team_id=T1, now=NOW).iloc[0]
    assert (row.customer_id, row.recency_days, row.frequency, row.monetary) == (acme.id, 30, 1, 70)
    assert (row.r, row.f, row.m, row.segment) == (5, 5, 5, "Champions")  # alone, so the best
    summary = segment_summary(session, team_id=T1, now=NOW)
    assert (summary.customers, summary.customers_without_purchases) == (1, 1)


def test_no_purchases_give_an_empty_table_and_no_error(session):
    create_customer(session, team_id=T1, name="Acme")
    frame = rfm_segments(session, team_id=T1, now=NOW)
    assert frame.empty and {"customer_id", "r", "segment"} <= set(frame.columns)
    summary = segment_summary(session, team_id=T1, now=NOW)
    assert summary.segments == () and summary.customers == 0
    assert summary.customers_without_purchases == 1
    pareto = pareto_share(session, team_id=T1)
    assert pareto.customers == 0 and pareto.revenue == 0
    assert (pareto.top_revenue_share, pareto.fraction_for_target) == (None, None)


def test_pareto_share_of_ten_known_revenues(session, ten):
    # Revenues 500, 200, 100, 50, 50, 40, 30, 15, 10, 5: total 1000.
    pareto = pareto_share(session, team_id=T1)
    assert (pareto.customers, pareto.revenue, pareto.top_customers) == (10, Decimal("1000"), 2)
    assert pareto.top_revenue_share == pytest.approx(0.7)  # (500 + 200) / 1000
    # 500, 700, 800: three customers reach 80%.
    assert (pareto.customers_for_target, pareto.fraction_for_target) == (3, pytest.approx(0.3))
    top_30 = pareto_share(session, team_id=T1, top_fraction=0.3)  # 0.3 * 10 is 3, not 4
    assert (top_30.top_customers, top_30.top_revenue_share) == (3, pytest.approx(0.8))
    half = pareto_share(session, team_id=T1, top_fraction=0.05, target_share=0.5)
    assert (half.top_customers, half.top_revenue_share) == (1, pytest.approx(0.5))
    assert (half.customers_for_target, half.fraction_for_target) == (1, pytest.approx(0.1))
    theirs = pareto_share(session, team_id=T2)
    assert (theirs.customers, theirs.top_revenue_share) == (1, pytest.approx(1.0))


def test_zero_revenue_gives_no_shares(session):
    free = create_customer(session, team_id=T1, name="Free trial")
    buy(session, free, 0, NOW)
    pareto = pareto_share(session, team_id=T1)
    assert (pareto.customers, pareto.revenue, pareto.top_customers) == (1, Decimal("0"), 1)
    assert (pareto.top_revenue_share, pareto.customers_for_target) == (None, None)


@pytest.mark.parametrize("fraction", [0, -0.1, 1.5])
def test_bad_fractions_say_what_is_allowed(session, fraction):
    with pytest.raises(InvalidInput, match="above 0 and at most 1"):
        pareto_share(session, team_id=T1, top_fraction=fraction)
    with pytest.raises(InvalidInput, match="above 0 and at most 1"):
        pareto_share(session, team_id=T1, target_share=fraction)
