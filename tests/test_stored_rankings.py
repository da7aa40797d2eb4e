"""Scores read per pattern and rankings read from their stored tops give the answers a full
ranking of every customer gives, whatever the filter; a customer who bought after the fit
is unscored until the next refresh."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update
from sqlmodel import select

from crm_core.analytics import rankings
from crm_core.analytics.customer_scores import score_of, scores
from crm_core.analytics.scoring import freshness, latest_fit, refresh_scores
from crm_core.analytics.values import at_risk, customer_value, top_by_clv
from crm_core.customers import merge_customers
from crm_core.models import Customer, ScoreRank
from crm_core.purchases import record_purchase
from crm_core.settings import AnalyticsSettings
from tests.analytics_data import CDNOW_END, load_cdnow

SETTINGS = AnalyticsSettings()


def every_score(session) -> dict[int, tuple]:
    """customer id -> (clv, p_alive, value at risk, owner, segment), from the per-pattern join."""
    score = scores("T1")
    rows = session.execute(
        select(
            score.c.customer_id,
            score.c.clv,
            score.c.p_alive,
            score.c.value_at_risk,
            Customer.owner_user_id,
            Customer.segment,
        ).join(Customer, Customer.id == score.c.customer_id)
    ).all()
    return {row[0]: tuple(row[1:]) for row in rows}


def by_hand(table: dict[int, tuple], *, key: int, keep, limit: int) -> list[float]:
    """The `limit` highest values of column `key` among the customers kept (customers with
    equal values may come in any order, so the values are what is compared)."""
    return sorted((values[key] for values in table.values() if keep(values)), reverse=True)[:limit]


@pytest.fixture
def scored(session):
    """1,500 CDNOW customers (more than a stored top holds), a rare owner among them."""
    load_cdnow(session, customers=1_500)
    rare = session.exec(
        select(Customer.id).where(Customer.team_id == "T1").order_by(Customer.id).limit(3)
    ).all()
    session.execute(
        update(Customer).where(Customer.id.in_(rare)).values(owner_user_id="U0RARE", segment="Rare")
    )
    refresh_scores(session, team_id="T1", settings=SETTINGS, now=CDNOW_END)
    return session


def test_the_stored_tops_are_truncated_here(scored):
    positions = scored.exec(
        select(ScoreRank.position).where(ScoreRank.team_id == "T1", ScoreRank.ranking == "clv")
    ).all()
    assert len(positions) == rankings.RANKED < len(every_score(scored))


@pytest.mark.parametrize(
    "owner, segment",
    [(None, None), ("U0OWNER01", None), (None, "Gold"), ("U0RARE", None), (None, "rare")],
)
def test_top_by_clv_equals_a_full_ranking(scored, owner, segment):
    table = every_score(scored)

    def keep(values):
        return (owner is None or values[3] == owner) and (
            segment is None or (values[4] or "").lower() == segment.lower()
        )

    for limit in (1, 10, 1_200):
        ours = top_by_clv(scored, team_id="T1", limit=limit, owner_user_id=owner, segment=segment)
        assert [v.clv for v in ours] == pytest.approx(by_hand(table, key=0, keep=keep, limit=limit))
        assert all(keep(table[v.customer_id]) for v in ours)


@pytest.mark.parametrize("threshold", [0.3, 0.5, 0.8])
@pytest.mark.parametrize("owner", [None, "U0OWNER02", "U0RARE"])
def test_at_risk_equals_a_full_ranking_at_any_threshold(scored, threshold, owner):
    table = every_score(scored)

    def keep(values):
        return values[1] < threshold and (owner is None or values[3] == owner)

    ours = at_risk(
        scored, fit=latest_fit(scored, team_id="T1"), alive_threshold=threshold, limit=15,
        now=CDNOW_END, owner_user_id=owner,
    )  # fmt: skip
    expected = by_hand(table, key=2, keep=keep, limit=15)
    assert [a.value.value_at_risk for a in ours] == pytest.approx(expected)
    assert all(keep(table[a.value.customer_id]) for a in ours)


def test_a_purchase_after_the_fit_unscores_the_customer_until_the_next_refresh(scored):
    top = top_by_clv(scored, team_id="T1", limit=1)[0]
    before = score_of(scored, team_id="T1", customer_id=top.customer_id)
    assert before is not None and before.clv == pytest.approx(top.clv)
    record_purchase(
        scored,
        team_id="T1",
        customer_id=top.customer_id,
        amount="25",
        default_currency="USD",
        purchased_at=CDNOW_END + timedelta(weeks=2),
    )
    assert freshness(scored, team_id="T1").stale
    assert customer_value(scored, team_id="T1", customer_id=top.customer_id) is None
    assert top.customer_id not in [v.customer_id for v in top_by_clv(scored, team_id="T1")]
    refresh_scores(scored, team_id="T1", settings=SETTINGS, now=CDNOW_END + timedelta(weeks=3))
    after = score_of(scored, team_id="T1", customer_id=top.customer_id)
    assert after is not None and after.frequency == before.frequency + 1


def test_a_merge_marks_the_scores_stale_and_the_next_refresh_scores_the_merged_history(scored):
    first, second = top_by_clv(scored, team_id="T1", limit=2)
    assert not freshness(scored, team_id="T1").stale
    merge_customers(scored, team_id="T1", keep_id=first.customer_id, merge_id=second.customer_id)
    assert freshness(scored, team_id="T1").stale
    refresh_scores(scored, team_id="T1", settings=SETTINGS, now=CDNOW_END)
    assert not freshness(scored, team_id="T1").stale
    merged = score_of(scored, team_id="T1", customer_id=first.customer_id)
    assert merged is not None and merged.frequency > first.frequency
    assert score_of(scored, team_id="T1", customer_id=second.customer_id) is None
