"""Issue 14, honest numbers: ties in RFM, what "active" means, periods in the workspace's
zone, and totals that say which customers they cover."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from commands import Backend
from crm_core.analytics.nps import nps_trend
from crm_core.analytics.periods import periods_before
from crm_core.analytics.retention import cohort_retention, retention_rates
from crm_core.analytics.segments import rfm_segments
from crm_core.analytics.values import customer_values
from crm_core.customers import create_customer
from crm_core.db import unit_of_work
from crm_core.errors import InvalidInput
from crm_core.interactions import log_interaction
from crm_core.models import Customer
from crm_core.nps import record_nps
from crm_core.purchases import record_purchase
from crm_core.settings import Settings
from reports.templating import money
from tests.analytics_data import CDNOW_END, load_cdnow
from tests.chat import ChatBot

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


def touch(session, customer, kind, when):
    log_interaction(
        session,
        team_id=customer.team_id,
        customer_id=customer.id,
        kind=kind,
        summary="touch",
        author_user_id="U1",
        source="console",
        occurred_at=when,
    )


def active_at_april(session, means):
    [march] = retention_rates(
        session,
        team_id=T1,
        period="month",
        periods=1,
        now=datetime(2026, 4, 15, tzinfo=UTC),
        active_window_days=30,
        active_means=means,
    )
    return march.at_start, march.at_end


def test_active_means_purchases_unless_the_team_counts_inbound_touches(session):
    # Active at 1 March [30 Jan, 1 Mar) and 1 April [2 Mar, 1 Apr).
    buyer = create_customer(session, team_id=T1, name="Buyer")
    buy(session, buyer, 100, datetime(2026, 2, 10, tzinfo=UTC))
    buy(session, buyer, 100, datetime(2026, 3, 10, tzinfo=UTC))
    mailed = create_customer(session, team_id=T1, name="Mailed")
    buy(session, mailed, 100, datetime(2026, 2, 10, tzinfo=UTC))
    touch(session, mailed, "email", datetime(2026, 3, 12, tzinfo=UTC))  # our outreach
    touch(session, mailed, "note", datetime(2026, 3, 13, tzinfo=UTC))  # our own note
    called = create_customer(session, team_id=T1, name="Called")
    buy(session, called, 100, datetime(2026, 2, 10, tzinfo=UTC))
    touch(session, called, "call", datetime(2026, 3, 20, tzinfo=UTC))
    # Purchases only (the default): the buyer alone is still active; the old code counted all 3.
    assert active_at_april(session, "purchases") == (3, 1)
    # Inbound too: the call counts; the email and the note never do.
    assert active_at_april(session, "purchases+inbound") == (3, 2)
    with pytest.raises(InvalidInput):
        active_at_april(session, "everything")


@dataclass
class TeamBot(ChatBot):
    """The chat with the workspace's own settings."""

    settings: dict = field(default_factory=dict)

    @property
    def backend(self) -> Backend:
        return Backend(
            self.engine,
            Settings(database_url="sqlite://", team_id=self.team_id, **self.settings),
        )


def test_churn_rate_in_the_chat_follows_the_setting(engine):
    with unit_of_work(engine) as session:
        emailed = create_customer(session, team_id=T1, name="Emailed")
        buy(session, emailed, 100, datetime(2025, 11, 20, tzinfo=UTC))  # 90-day window
        touch(session, emailed, "email", datetime(2026, 2, 10, tzinfo=UTC))
        touch(session, emailed, "meeting", datetime(2026, 2, 12, tzinfo=UTC))
    bot = TeamBot(engine, now=datetime(2026, 3, 10, 12, tzinfo=UTC))
    bot.exec("churn rate")
    february = bot.result.rows[-1]
    assert (february.label, february.at_start, february.at_end) == ("2026-02", 1, 0)
    bot = TeamBot(
        engine,
        now=datetime(2026, 3, 10, 12, tzinfo=UTC),
        settings={"analytics": {"active_means": "purchases+inbound"}},
    )
    bot.exec("churn rate")
    assert bot.result.rows[-1].at_end == 1  # the meeting
    assert '"active" = a purchase, call or meeting in the last 90 days' in bot.exec("churn rate")
    assert "Active = a purchase, call or meeting" in str(bot.slack("churn rate"))


NEW_YORK = ZoneInfo("America/New_York")


def test_cohorts_and_periods_follow_the_workspace_zone_and_mark_the_running_month(engine):
    with unit_of_work(engine) as session:
        # 23:30 on 31 January in New York is 04:30 on 1 February in UTC: a January customer.
        late = create_customer(session, team_id=T1, name="Late")
        buy(session, late, 100, datetime(2026, 1, 31, 23, 30, tzinfo=NEW_YORK))
        buy(session, late, 100, datetime(2026, 2, 10, tzinfo=NEW_YORK))
        early = create_customer(session, team_id=T1, name="Early")
        buy(session, early, 100, datetime(2026, 2, 5, tzinfo=NEW_YORK))
        table = cohort_retention(
            session, team_id=T1, months=3, now=datetime(2026, 3, 2, tzinfo=NEW_YORK), zone=NEW_YORK
        )
        in_utc = cohort_retention(
            session, team_id=T1, months=3, now=datetime(2026, 3, 2, tzinfo=UTC)
        )
    assert list(table.sizes) == [1, 1, 0] and list(in_utc.sizes) == [0, 2, 0]
    assert table.shares.loc["2026-01", 1] == 1.0  # bought again in (New York's) February
    assert table.to_date == "2026-03"
    assert table.is_to_date("2026-01", 2) and table.is_to_date("2026-02", 1)
    assert not table.is_to_date("2026-01", 1)
    # Month periods in the zone: February ends at midnight New York time, 05:00 UTC.
    [february] = periods_before(
        datetime(2026, 3, 2, tzinfo=NEW_YORK), period="month", count=1, zone=NEW_YORK
    )
    assert (february.label, february.end) == ("2026-02", datetime(2026, 3, 1, 5, tzinfo=UTC))
    bot = TeamBot(
        engine,
        now=datetime(2026, 3, 2, 12, tzinfo=NEW_YORK),
        settings={"default_timezone": "America/New_York"},
    )
    text = bot.exec("retention cohorts")
    # The running month is marked and never printed as 0%.
    assert "2026-01" in text and "-*" in text and " 0%" not in text
    assert "2026-03 is still running" in text
    assert "none yet _(to date)_" in str(bot.slack("retention cohorts"))


def test_churn_clv_and_preview_totals_cover_the_customers_they_name(bot, engine):
    with unit_of_work(engine) as session:
        load_cdnow(session, customers=600)
    bot.now = CDNOW_END
    out = bot.exec("churn top 5")
    with unit_of_work(engine) as session:
        ids = list(session.exec(select(Customer.id).where(Customer.team_id == "T1")).all())
        scored = customer_values(session, team_id="T1", customer_ids=ids).values()
    risky = [v for v in scored if v.p_alive is not None and v.p_alive < 0.5]
    everyone_clv = sum(v.clv for v in scored)
    risky_clv, risky_value = sum(v.clv for v in risky), sum(v.value_at_risk for v in risky)
    assert 0 < len(risky) < len(scored) and risky_clv < everyone_clv
    # Their CLV, not everyone's, and the everyone-wide value at risk is not passed off as theirs.
    said = f"In all: {len(risky)} customers at risk, holding {money(risky_clv)} of CLV"
    assert said in out, out
    assert f"({money(risky_value)} of it value at risk" in out
    slack = str(bot.slack("churn top 5"))
    assert f"at risk, holding *{money(risky_clv)}* of CLV" in slack
    clv = bot.exec("clv top 3")
    assert (
        f"{len(risky)} customers at risk (P(alive) under the threshold) hold {money(risky_clv)}"
        in clv
    )
    # The digest counts the at-risk and the overdue, and says so.
    preview = bot.exec("alerts preview")
    assert "at risk or overdue" in preview, preview
    one = bot.exec(f"clv #{risky[0].customer_id}")
    assert "weeks with a purchase expected in the next 12 months" in one
    assert "purchases expected" not in one


def test_the_nps_trend_counts_months_in_the_workspace_zone(session):
    customer = create_customer(session, team_id=T1, name="Late")
    # 23:30 on 31 January in New York: 1 February in UTC.
    late = datetime(2026, 1, 31, 23, 30, tzinfo=NEW_YORK)
    record_nps(session, team_id=T1, customer_id=customer.id, score=10, responded_at=late)
    start, end = datetime(2026, 1, 1, tzinfo=NEW_YORK), datetime(2026, 3, 1, tzinfo=NEW_YORK)
    trend = nps_trend(session, team_id=T1, start=start, end=end, zone=NEW_YORK)
    assert [(m.month, m.nps.responses) for m in trend] == [("2026-01", 1), ("2026-02", 0)]
    utc = nps_trend(session, team_id=T1, start=start, end=end)
    assert [(m.month, m.nps.responses) for m in utc] == [
        ("2026-01", 0), ("2026-02", 1), ("2026-03", 0)
    ]  # fmt: skip


def test_a_lapsed_one_time_buyer_is_overdue_against_the_typical_gap(session):
    """Under BG/NBD a one-time buyer is always 100% alive, so only the population's rhythm can
    flag one: more than twice the repeat buyers' mean gap since their only purchase."""
    from crm_core.alerts.digest import OVERDUE_FACTOR, at_risk_snapshot, typical_gap
    from crm_core.analytics.customer_scores import CustomerScore, scores
    from crm_core.analytics.scoring import refresh_scores
    from crm_core.settings import AnalyticsSettings

    load_cdnow(session, customers=1_000)
    refresh_scores(session, team_id="T1", settings=AnalyticsSettings(model="bgnbd"), now=CDNOW_END)
    stored = [CustomerScore(*row) for row in session.execute(select(scores("T1"))).all()]
    repeat = [s for s in stored if s.frequency > 0]
    gap = sum(s.recency / s.frequency for s in repeat) / len(repeat)
    assert typical_gap(session, team_id="T1") == pytest.approx(gap)
    lapsed = {s.customer_id for s in stored if s.frequency == 0 and s.age > OVERDUE_FACTOR * gap}
    assert lapsed and all(s.p_alive == pytest.approx(1) for s in stored if s.frequency == 0)
    snapshot = at_risk_snapshot(session, team_id="T1", alive_threshold=0.5, now=CDNOW_END)
    flagged = {row.customer_id for row in snapshot.rows if row.overdue}
    once = {s.customer_id for s in stored if s.frequency == 0}
    assert flagged & once == lapsed
