"""NPS: counts, score and its 95% interval, by segment and owner, by month, per workspace."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from math import sqrt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

from crm_core.analytics.nps import SMALL_SAMPLE, nps_score, nps_summary, nps_trend
from crm_core.customers import create_customer
from crm_core.errors import InvalidInput
from crm_core.nps import record_nps

T1, T2 = "T1", "T2"
Z = 1.959963984540054
START, END = datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC)
MID = datetime(2026, 2, 10, 12, tzinfo=UTC)


def answer(session, customer, *scores, when=MID):
    for score in scores:
        record_nps(
            session,
            team_id=customer.team_id,
            customer_id=customer.id,
            score=score,
            responded_at=when,
        )


def counts(nps):
    return nps.responses, nps.promoters, nps.passives, nps.detractors


def adjusted_wald(promoters, detractors, n):
    """MeasuringU's adjusted-Wald interval, written out by hand, in NPS points."""
    n_adj = n + 3
    p, d = (promoters + 0.75) / n_adj, (detractors + 0.75) / n_adj
    margin = Z * sqrt((p + d - (p - d) ** 2) / n_adj)
    return max(-100, 100 * (p - d - margin)), min(100, 100 * (p - d + margin))


def test_ten_answers_score_30_with_the_adjusted_wald_interval(session):
    acme = create_customer(session, team_id=T1, name="Acme")
    answer(session, acme, 10, 10, 9, 9, 9, 8, 7, 7, 3, 0)
    overall = nps_summary(session, team_id=T1, start=START, end=END).overall
    assert counts(overall) == (10, 5, 3, 2)
    assert overall.score == pytest.approx(30.0)
    assert overall.method == "adjusted-wald"
    # n' = 13, p' = 5.75/13, d' = 2.75/13: NPS' = 23.08, margin = 1.96 * sqrt(0.6006/13) = 42.13
    low, high = adjusted_wald(5, 2, 10)
    assert (overall.low, overall.high) == (pytest.approx(low), pytest.approx(high))
    assert overall.low == pytest.approx(-19.05, abs=0.01)
    assert overall.high == pytest.approx(65.20, abs=0.01)


def test_large_samples_use_plain_wald_around_the_observed_score():
    # p = 0.5, d = 0.2: Var = 0.5 + 0.2 - 0.3^2 = 0.61, margin = 1.96 * sqrt(0.61 / 100) = 15.31
    wald = nps_score(promoters=50, passives=30, detractors=20)
    assert wald.method == "wald" and wald.score == pytest.approx(30)
    margin = 100 * Z * sqrt(0.61 / 100)
    assert (wald.low, wald.high) == (pytest.approx(30 - margin), pytest.approx(30 + margin))
    just_under = nps_score(promoters=SMALL_SAMPLE - 1, passives=0, detractors=0)
    assert just_under.method == "adjusted-wald"
    assert nps_score(promoters=SMALL_SAMPLE, passives=0, detractors=0).method == "wald"


def test_the_interval_stays_within_minus_100_and_100():
    everyone_loves_us = nps_score(promoters=10, passives=0, detractors=0)
    assert everyone_loves_us.score == 100 and everyone_loves_us.high == 100
    assert everyone_loves_us.low == pytest.approx(adjusted_wald(10, 0, 10)[0])
    everyone_hates_us = nps_score(promoters=0, passives=0, detractors=4)
    assert everyone_hates_us.score == -100 and everyone_hates_us.low == -100


def test_no_answers_give_no_score_and_no_error(session):
    create_customer(session, team_id=T1, name="Acme")
    summary = nps_summary(session, team_id=T1, start=START, end=END, by="segment")
    assert summary.groups == ()
    assert summary.overall.responses == 0
    assert (summary.overall.score, summary.overall.low, summary.overall.method) == (None,) * 3


def test_by_segment_and_by_owner(session):
    acme = create_customer(session, team_id=T1, name="Acme", segment="SMB", owner_user_id="U1")
    bolt = create_customer(session, team_id=T1, name="Bolt", segment="SMB", owner_user_id="U2")
    core = create_customer(session, team_id=T1, name="Core", segment="Enterprise")
    answer(session, acme, 10, 9)
    answer(session, bolt, 6)
    answer(session, core, 8, 0, 10, 3)
    by_segment = nps_summary(session, team_id=T1, start=START, end=END, by="segment")
    scores = {g.group: (g.responses, g.promoters, g.detractors, g.score) for g in by_segment.groups}
    assert scores == {
        "Enterprise": (4, 1, 2, pytest.approx(-25.0)),
        "SMB": (3, 2, 1, pytest.approx(100 / 3)),
    }
    assert [g.group for g in by_segment.groups] == ["Enterprise", "SMB"]  # most answers first
    assert by_segment.overall.responses == 7 and by_segment.overall.score == pytest.approx(0.0)
    by_owner = nps_summary(session, team_id=T1, start=START, end=END, by="owner")
    scores = {g.group: (g.responses, g.score) for g in by_owner.groups}
    assert scores == {"U1": (2, 100.0), "U2": (1, -100.0), None: (4, -25.0)}
    assert [g.group for g in by_owner.groups] == ["U1", "U2", None]  # no owner comes last


def test_the_window_includes_its_start_and_excludes_its_end(session):
    acme = create_customer(session, team_id=T1, name="Acme")
    answer(session, acme, 10, when=START)
    answer(session, acme, 0, when=END)
    answer(session, acme, 0, when=START - timedelta(microseconds=1))
    answer(session, acme, 8, when=END - timedelta(seconds=1))
    overall = nps_summary(session, team_id=T1, start=START, end=END).overall
    assert counts(overall) == (2, 1, 1, 0)


def test_another_workspaces_answers_never_count(session):
    ours = create_customer(session, team_id=T1, name="Acme", segment="SMB")
    theirs = create_customer(session, team_id=T2, name="Acme", segment="SMB")
    answer(session, ours, 10)
    answer(session, theirs, 0, 0, 0)
    for by in (None, "segment", "owner"):
        assert nps_summary(session, team_id=T1, start=START, end=END, by=by).overall.score == 100
    trend = nps_trend(session, team_id=T1, start=START, end=END)
    assert [m.nps.responses for m in trend] == [0, 1, 0]
    assert nps_summary(session, team_id="T3", start=START, end=END).overall.responses == 0


def test_trend_is_by_calendar_month_in_utc_with_empty_months(session):
    if session.get_bind().dialect.name == "postgresql":
        # A session in another zone must not move answers into other months.
        session.exec(text("SET LOCAL TIME ZONE 'America/New_York'"))
    acme = create_customer(session, team_id=T1, name="Acme")
    answer(session, acme, 10, 0, 9, when=datetime(2026, 1, 15, tzinfo=UTC))
    # 31 January 23:30 in New York is already February in UTC.
    answer(
        session, acme, 7, when=datetime(2026, 1, 31, 23, 30, tzinfo=ZoneInfo("America/New_York"))
    )
    answer(session, acme, 0, when=datetime(2026, 3, 31, 23, 59, tzinfo=UTC))
    trend = nps_trend(session, team_id=T1, start=START, end=END)
    assert [(m.month, m.start) for m in trend] == [
        ("2026-01", START),
        ("2026-02", datetime(2026, 2, 1, tzinfo=UTC)),
        ("2026-03", datetime(2026, 3, 1, tzinfo=UTC)),
    ]
    assert [(m.nps.responses, m.nps.score) for m in trend] == [
        (3, pytest.approx(100 / 3)),
        (1, 0.0),
        (1, -100.0),
    ]
    mid_month = nps_trend(session, team_id=T1, start=MID, end=datetime(2026, 3, 2, tzinfo=UTC))
    assert [(m.month, m.nps.responses) for m in mid_month] == [("2026-02", 0), ("2026-03", 0)]


def test_bad_parameters_say_what_is_allowed(session):
    with pytest.raises(InvalidInput, match="segment or owner"):
        nps_summary(session, team_id=T1, start=START, end=END, by="region")
    with pytest.raises(InvalidInput, match="before it starts"):
        nps_summary(session, team_id=T1, start=END, end=START)
    with pytest.raises(InvalidInput, match="timezone-aware"):
        nps_trend(session, team_id=T1, start=datetime(2026, 1, 1), end=END)
