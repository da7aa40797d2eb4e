"""clv, churn and cac through the console's path, and what Slack does differently."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from sqlalchemy import update

from commands.results import CacTable, ChurnList, ClvOne, ClvTop, Problem
from crm_core.customers import create_customer
from crm_core.db import unit_of_work
from crm_core.models import Customer
from crm_core.purchases import record_purchase
from tests.analytics_data import CDNOW_END, load_cdnow


def test_clv_top_customer_and_filters(bot, engine):
    with unit_of_work(engine) as session:
        load_cdnow(session, customers=600)
    bot.now = CDNOW_END
    out = bot.exec("clv top 5")
    assert isinstance(bot.result, ClvTop) and len(bot.result.values) == 5
    assert "Top 5 customers by predicted 12-month CLV" in out and re.search(
        r"Method: (BG|MBG|Pareto)/NBD \+ Gamma-Gamma", out
    )
    clvs = [v.clv for v in bot.result.values]
    assert clvs == sorted(clvs, reverse=True)
    bot.exec("clv top 3 segment gold owner <@U0OWNER01>")
    assert all(v.segment == "Gold" and v.owner_user_id == "U0OWNER01" for v in bot.result.values)
    best = bot.result.values[0]
    one = bot.exec(f"clv #{best.customer_id}")
    assert isinstance(bot.result, ClvOne) and f"${best.clv:,.2f}" in one


def test_churn_lists_value_at_risk_with_reasons(bot, engine):
    with unit_of_work(engine) as session:
        load_cdnow(session, customers=600)
    bot.now = CDNOW_END
    out = bot.exec("churn top 5")
    assert isinstance(bot.result, ChurnList)
    at_risk = [item.value.value_at_risk for item in bot.result.items]
    assert at_risk == sorted(at_risk, reverse=True) and len(at_risk) == 5
    assert all(item.value.p_alive < 0.5 for item in bot.result.items)
    assert "days since the last purchase (usually every" in out
    message = bot.slack("churn top 5")
    assert message["blocks"][0]["text"]["text"] == "Customers slipping away"


def test_churn_of_one_owner(bot, engine):
    with unit_of_work(engine) as session:
        load_cdnow(session, customers=600)
        session.execute(
            update(Customer).where(Customer.id % 3 == 0).values(owner_user_id=bot.user_id)
        )
    bot.now = CDNOW_END
    bot.exec("churn top 50 owner me")
    mine = bot.result.items
    assert mine and all(item.value.owner_user_id == bot.user_id for item in mine)
    bot.exec("churn top 50")
    assert len(bot.result.items) == 50 and any(
        item.value.owner_user_id != bot.user_id for item in bot.result.items
    )
    assert "I don't know who 'bob' is" in bot.exec("churn owner bob")


def test_slack_never_fits_but_says_how_fresh_the_scores_are(bot, engine):
    with unit_of_work(engine) as session:
        load_cdnow(session, customers=300)
    bot.now = CDNOW_END
    refused = bot.exec("clv", source="slack")
    assert isinstance(bot.result, Problem) and "have not been computed yet" in refused
    bot.exec("clv")  # the console refreshes
    with unit_of_work(engine) as session:
        record_purchase(
            session,
            team_id="T1",
            customer_id=1,
            amount="5",
            default_currency="USD",
            purchased_at=CDNOW_END,
        )
    stale = bot.exec("clv", source="slack")
    assert "New purchases arrived since" in stale
    fresh = bot.exec("clv")  # the console refreshes again
    assert "New purchases arrived since" not in fresh


def test_thin_data_answers_say_what_they_can(bot, engine):
    assert "not enough data for CLV or churn: there are no purchases yet" in bot.exec("clv")
    with unit_of_work(engine) as session:
        acme = create_customer(
            session, team_id="T1", name="Acme", acquisition_channel="Ads", acquisition_cost=30
        )
        record_purchase(
            session,
            team_id="T1",
            customer_id=acme.id,
            amount="90",
            default_currency="USD",
            purchased_at=datetime(2026, 1, 1, tzinfo=UTC),
        )
    assert "Method: historic formula" in bot.exec("clv")
    churn = bot.exec("churn")
    assert "not enough data for churn risk" in churn and "followups overdue" in churn
    bot.exec("cac")
    assert isinstance(bot.result, CacTable)
    [ads] = bot.result.rows
    assert (ads.channel, ads.customers, ads.cac) == ("Ads", 1, 30.0)
    assert ads.clv_to_cac == ads.average_clv / 30.0


def test_reports_on_real_data_and_in_slack_limits(bot, engine):
    from tests.test_chat_help_and_limits import walk_limits

    with unit_of_work(engine) as session:
        load_cdnow(session, customers=600)
    bot.now = CDNOW_END
    assert "Retention and churn by month" in bot.exec("churn rate")
    assert all(0 <= p.retention <= 1 for p in bot.result.rows if p.retention is not None)
    cohorts = bot.exec("retention cohorts")
    assert "1997-01" in cohorts and "1997-03" in cohorts  # CDNOW's three cohorts, 18 months back
    assert "Champions" in bot.exec("segments")
    assert "of customers" in bot.exec("pareto") and bot.result.share.top_revenue_share > 0.5
    for text in (
        "churn rate by quarter",
        "retention cohorts",
        "segments",
        "pareto",
        "nps",
        "cac",
        "clv",
        "churn",
    ):
        walk_limits(bot.slack(text))


def test_reports_with_no_data_say_so(bot):
    assert "no NPS answers" in bot.exec("nps last 30 days")
    assert "Not enough data for segments" in bot.exec("segments")
    assert "Not enough data for a Pareto share" in bot.exec("pareto")
    assert "Not enough data for CAC" in bot.exec("cac")
    assert "by segment or by owner" in bot.exec("nps by region")


def test_charts_are_png_for_nps_cohorts_and_clv(bot, engine, tmp_path):
    from reports.charts import render_chart

    with unit_of_work(engine) as session:
        load_cdnow(session, customers=300)
    bot.now = CDNOW_END
    for text in ("nps", "retention cohorts", "clv"):
        picture = render_chart(bot.ask(text, wants_chart=True))
        assert picture is not None and picture.startswith(b"\x89PNG"), text
    assert bot.ask("clv").result.distribution is None  # no chart asked, no 300 values fetched
    assert render_chart(bot.ask("pareto", wants_chart=True)) is None


def test_the_360_card_shows_clv_and_p_alive_once_scored(bot, engine):
    with unit_of_work(engine) as session:
        load_cdnow(session, customers=300)
    bot.now = CDNOW_END
    assert "Predicted CLV" not in bot.exec("customer #1")
    bot.exec("clv")  # the console refreshes the scores
    card = bot.exec("customer #1")
    assert "Predicted CLV: $" in card and "P(alive)" in card and "Segment: Silver" in card
    assert "*Predicted CLV:*" in str(bot.slack("customer #1")["blocks"])
