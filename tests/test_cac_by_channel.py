"""CAC and CLV:CAC by channel: the same figures as the outer join they were first read with,
and as each customer's CLV worked out here from the stored aggregates and patterns."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

import pytest
from sqlalchemy import func, update
from sqlmodel import col, select

from crm_core.analytics.acquisition import acquisition_by_channel
from crm_core.analytics.customer_scores import scores
from crm_core.analytics.scoring import refresh_scores
from crm_core.customers import create_customer
from crm_core.models import Customer, PatternScore, PurchaseSummary
from crm_core.settings import AnalyticsSettings
from tests.analytics_data import CDNOW_END, load_cdnow

CHANNELS = ("Organic", "Paid search", "Referral", "Events", "No costs")


@pytest.fixture
def channels(session):
    """900 CDNOW customers, scored, spread over channels; some without a cost or a channel,
    one channel without costs, and customers who never bought (so have no score)."""
    load_cdnow(session, customers=900)
    refresh_scores(session, team_id="T1", settings=AnalyticsSettings(), now=CDNOW_END)
    ids = session.exec(select(Customer.id).where(Customer.team_id == "T1")).all()
    for i, customer_id in enumerate(sorted(ids)):
        channel = None if i % 11 == 0 else CHANNELS[i % len(CHANNELS)]
        cost = None if channel == "No costs" or i % 7 == 0 else Decimal(5 + i % 40) / 2
        session.execute(
            update(Customer)
            .where(col(Customer.id) == customer_id)
            .values(acquisition_channel=channel, acquisition_cost=cost)
        )
    for n in range(12):  # no purchases, so no score: counted, but not in the average CLV
        create_customer(
            session,
            team_id="T1",
            name=f"New {n}",
            acquisition_channel=CHANNELS[n % 2],
            acquisition_cost=Decimal(30),
        )
    create_customer(session, team_id="T2", name="Other workspace", acquisition_channel="Organic")
    session.flush()


def by_outer_join(session) -> list[tuple]:
    """The statement cac ran before: every customer outer-joined to the scores subquery."""
    score = scores("T1")
    return session.exec(
        select(
            Customer.acquisition_channel,
            func.count(),
            func.count(Customer.acquisition_cost),
            func.coalesce(func.sum(Customer.acquisition_cost), 0),
            func.avg(score.c.clv),
        )
        .join(score, score.c.customer_id == col(Customer.id), isouter=True)
        .where(Customer.team_id == "T1", col(Customer.acquisition_channel).is_not(None))
        .group_by(Customer.acquisition_channel)
        .order_by(func.count().desc())
    ).all()


def by_hand(session) -> dict[str, dict]:
    """Each channel's figures from the rows: CLV = base + per order value x m + per revenue x
    total value, m the mean repeat order value, for customers whose pattern was scored."""
    patterns = {
        (p.periods, p.first_period, p.last_period): p
        for p in session.exec(select(PatternScore).where(PatternScore.team_id == "T1"))
    }
    summaries = {
        s.customer_id: s
        for s in session.exec(select(PurchaseSummary).where(PurchaseSummary.team_id == "T1"))
    }
    figures: dict[str, dict] = defaultdict(lambda: {"n": 0, "costs": [], "clv": []})
    for customer in session.exec(select(Customer).where(Customer.team_id == "T1")):
        if customer.acquisition_channel is None:
            continue
        row = figures[customer.acquisition_channel]
        row["n"] += 1
        if customer.acquisition_cost is not None:
            row["costs"].append(float(customer.acquisition_cost))
        summary = summaries.get(customer.id)
        pattern = summary and patterns.get(
            (summary.periods, summary.first_period, summary.last_period)
        )
        if pattern:
            repeats = summary.periods - 1
            m = (summary.total_value - summary.first_period_value) / repeats if repeats else 0.0
            row["clv"].append(
                pattern.clv_base
                + pattern.clv_per_order_value * m
                + pattern.clv_per_revenue * summary.total_value
            )
    return figures


def test_cac_gives_the_outer_joins_figures(session, channels):
    rows = acquisition_by_channel(session, team_id="T1")
    before = by_outer_join(session)
    assert [r.channel for r in rows] == [b[0] for b in before]
    for row, (_, customers, with_cost, total, average_clv) in zip(rows, before, strict=True):
        assert (row.customers, row.with_cost, row.total_cost) == (customers, with_cost, total)
        assert row.average_clv == pytest.approx(average_clv, rel=1e-12)


def test_cac_and_clv_to_cac_match_a_computation_by_hand(session, channels):
    rows = {r.channel: r for r in acquisition_by_channel(session, team_id="T1")}
    expected = by_hand(session)
    assert set(rows) == set(CHANNELS) == set(expected)
    for channel, want in expected.items():
        row = rows[channel]
        cac = sum(want["costs"]) / len(want["costs"]) if want["costs"] else None
        clv = sum(want["clv"]) / len(want["clv"]) if want["clv"] else None
        assert (row.customers, row.with_cost) == (want["n"], len(want["costs"]))
        assert row.total_cost == pytest.approx(sum(want["costs"]))
        assert row.cac == pytest.approx(cac) and row.average_clv == pytest.approx(clv, rel=1e-9)
        assert row.clv_to_cac == (pytest.approx(clv / cac, rel=1e-9) if cac else None)
    assert rows["No costs"].cac is None and rows["No costs"].clv_to_cac is None
    assert rows["Organic"].customers > len(expected["Organic"]["clv"])  # the unscored count


def test_cac_reads_the_refreshs_channel_sums_until_a_scored_customer_changes(session):
    """Channels set before the refresh: cac answers from the sums it kept (equal to the live
    scores), and from the live scores once a scored customer has changed since."""
    from crm_core.models import ChannelValue

    load_cdnow(session, customers=600)
    ids = sorted(session.exec(select(Customer.id).where(Customer.team_id == "T1")).all())
    for i, customer_id in enumerate(ids):
        session.execute(
            update(Customer)
            .where(col(Customer.id) == customer_id)
            .values(acquisition_channel=CHANNELS[i % 4], acquisition_cost=Decimal(10))
        )
    refresh_scores(session, team_id="T1", settings=AnalyticsSettings(), now=CDNOW_END)
    stored = {r.channel: r.average_clv for r in acquisition_by_channel(session, team_id="T1")}
    live = {row[0]: row[4] for row in by_outer_join(session)}
    assert stored.keys() == live.keys() and all(
        stored[c] == pytest.approx(live[c], rel=1e-9) for c in live
    )
    # The kept sums are what it reads: changing them changes the answer...
    session.execute(update(ChannelValue).values(clv=0.0))
    assert {r.average_clv for r in acquisition_by_channel(session, team_id="T1")} == {0.0}
    # ...until a scored customer changes after the refresh: then it adds up the live scores.
    session.execute(
        update(Customer).where(col(Customer.id) == ids[0]).values(acquisition_channel="Events")
    )
    after = {r.channel: r.average_clv for r in acquisition_by_channel(session, team_id="T1")}
    assert after == pytest.approx({row[0]: row[4] for row in by_outer_join(session)}, rel=1e-9)
