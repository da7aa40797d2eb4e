"""alerts subscribe / list / unsubscribe / preview through the console's path; the digest."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import select

from commands.results import AlertDigest, AlertList, AlertSubscribed, AlertUnsubscribed, Problem
from crm_core.alerts.feedback import give_feedback
from crm_core.db import unit_of_work
from crm_core.models import AlertSubscription
from reports.alerts import digest_message
from tests.analytics_data import CDNOW_END, load_cdnow
from tests.bot_server import assert_message_within_limits


def test_subscribe_list_preview_unsubscribe(bot, engine):
    with unit_of_work(engine) as session:
        load_cdnow(session, customers=600)
    bot.now = CDNOW_END
    bot.exec("churn")  # the console refreshes the scores the digest reads
    out = bot.exec("alerts subscribe C0SALES01 weekdays at 8:30 min value 5 quiet", role="admin")
    assert isinstance(bot.result, AlertSubscribed), out
    subscription = bot.result.subscription
    assert (subscription.cadence, subscription.local_time) == ("weekdays", "08:30")
    assert subscription.timezone == "America/New_York" and subscription.quiet_when_unchanged
    assert "Monday to Friday at 08:30 (America/New_York)" in out
    bot.exec("alerts")
    assert isinstance(bot.result, AlertList) and len(bot.result.items) == 1
    out = bot.exec(f"alerts preview {subscription.id}")
    assert isinstance(bot.result, AlertDigest), out
    digest = bot.result.digest
    assert digest.customers > 0 and digest.lines
    values = [line.at_risk.value.value_at_risk for line in digest.lines]
    assert values == sorted(values, reverse=True)
    assert all(v >= 5 for v in values)
    assert "(first alert)" in out and "days since the last purchase" in out
    message = digest_message(bot.result, ZoneInfo("America/New_York"))
    assert_message_within_limits(message)
    buttons = [
        element["text"]["text"]
        for block in message["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
    ]
    assert buttons[:4] == ["Log call", "Snooze 30 days", "Not at risk", "Open 360"]
    bot.exec(f"alerts unsubscribe {subscription.id}", role="admin")  # a rep: only from there
    assert isinstance(bot.result, AlertUnsubscribed)
    bot.exec("alerts list")
    assert bot.result.items == []


def test_snooze_and_not_at_risk_hide_a_customer(bot, engine):
    with unit_of_work(engine) as session:
        load_cdnow(session, customers=600)
    bot.now = CDNOW_END
    bot.exec("churn")
    bot.exec("alerts preview")
    first = bot.result.digest.lines[0].at_risk.value
    second = bot.result.digest.lines[1].at_risk.value
    now = datetime.now(UTC)
    with unit_of_work(engine) as session:
        give_feedback(
            session,
            team_id="T1",
            customer_id=first.customer_id,
            user_id="U1",
            kind="snooze",
            now=now,
        )
        give_feedback(
            session,
            team_id="T1",
            customer_id=second.customer_id,
            user_id="U1",
            kind="not_at_risk",
            now=now,
        )
    bot.now = now
    bot.exec("alerts preview")
    shown = [line.at_risk.value.customer_id for line in bot.result.digest.lines]
    assert first.customer_id not in shown and second.customer_id not in shown
    assert bot.result.digest.hidden == 2
    # 31 days later the snooze is over; "not at risk" holds until there is new evidence.
    bot.now = now + timedelta(days=31)
    bot.exec("alerts preview")
    shown = [line.at_risk.value.customer_id for line in bot.result.digest.lines]
    assert first.customer_id in shown and second.customer_id not in shown
    bot.exec(f"nps #{second.customer_id} 5 slow support")
    bot.exec("alerts preview")
    assert second.customer_id in [
        line.at_risk.value.customer_id for line in bot.result.digest.lines
    ]


def test_bad_subscriptions_say_what_to_type(bot):
    for line, expected in [
        ("alerts subscribe C0SALES01 at 25:00", "hours go from 0 to 23"),
        ("alerts subscribe C0SALES01 min value lots", "is not an amount"),
        ("alerts subscribe #general", "channels add #general <its channel id>"),
        ("alerts subscribe C0SALES01 weekly someday", "is not a day of the week"),
        ("alerts subscribe", "which channel?"),
        ("alerts unsubscribe 99", "no alert subscription #99"),
        ("alerts frobnicate", "is not something alerts does"),
    ]:
        out = bot.exec(line, role="admin")
        assert isinstance(bot.result, Problem), line
        assert expected in out, (line, out)
    with unit_of_work(bot.engine) as session:
        assert session.exec(select(AlertSubscription)).all() == []


def test_preview_without_scores_says_what_to_do(bot):
    out = bot.exec("alerts preview")  # the console tries a refresh first
    assert isinstance(bot.result, Problem) and "no purchases yet" in out
    out = bot.exec("alerts preview", source="slack")  # Slack never fits: it says so
    assert "have not been computed yet" in out
