"""Issue 14, honest numbers: ties in RFM, what "active" means, periods in the workspace's
zone, and totals that say which customers they cover."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from crm_core.analytics.segments import rfm_segments
from crm_core.customers import create_customer
from crm_core.purchases import record_purchase

T1 = "T1"
NOW = datetime(2026, 6, 1, 9, tzinfo=UTC)


def buy(session, customer, amount, when):
    record_purchase(
        session,
        team_id=customer.team_id,
        customer_id=customer.id,
        amount=str(amount),
        default_currency="USD",
        purchased_at=when,
    )


def test_identical_customers_get_identical_rfm_scores_and_segment(session):
    # Six customers who bought the same, on the same day, and one bigger, more recent one.
    # Ranked "first" (by id) the six were spread over quintiles 1-5 and several segments.
    twins = []
    for i in range(6):
        twin = create_customer(session, team_id=T1, name=f"twin {i}")
        buy(session, twin, 20, NOW - timedelta(days=30))
        twins.append(twin.id)
    best = create_customer(session, team_id=T1, name="best")
    buy(session, best, 500, NOW - timedelta(days=1))
    buy(session, best, 500, NOW - timedelta(days=2))
    frame = rfm_segments(session, team_id=T1, now=NOW).set_index("customer_id")
    same = frame.loc[twins, ["recency_days", "frequency", "monetary", "r", "f", "m", "segment"]]
    assert len(same.drop_duplicates()) == 1, same
    # The six share ranks 1-6 (mean 3.5 of 7): ceil(5 * 3.5 / 7) = 3 on every axis.
    assert tuple(same.iloc[0][["r", "f", "m"]]) == (3, 3, 3)
    assert tuple(frame.loc[best.id, ["r", "f", "m", "segment"]]) == (5, 5, 5, "Champions")
