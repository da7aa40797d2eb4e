"""Alert delivery over real HTTP to the Slack emulator: once per subscription and slot.

Several runners, Slack failing, a process killed mid-post, daylight-saving changes: each
test counts the messages that reached the emulator's channel.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import select

from bot.alert_runner import AlertRunner
from bot.client import web_client
from bot.workspaces import Workspaces
from crm_core import db
from crm_core.alerts import claims
from crm_core.alerts.schedule import Schedule
from crm_core.alerts.subscriptions import subscribe
from crm_core.analytics.scoring import refresh_scores
from crm_core.db import unit_of_work
from crm_core.models import AlertDelivery, Customer
from crm_core.nps import record_nps
from crm_core.settings import Settings
from tests.analytics_data import CDNOW_END, load_cdnow
from tests.bot_server import BOT_TOKEN, assert_slack_would_accept
from tests.slack_emulator import SlackEmulator

CHANNEL = "C0ALERTS1"
SUBSCRIBER = "U0MANAGER"
NEW_YORK_9AM = Schedule("daily", "09:00", "America/New_York")
# A Tuesday in November (EST): 9:00 in New York is 14:00 UTC.
SLOT = datetime(2026, 11, 24, 14, 0, tzinfo=UTC)


@pytest.fixture
def emulator(emulator: SlackEmulator) -> Iterator[SlackEmulator]:
    emulator.channels[CHANNEL] = {"name": "sales-alerts", "is_member": True}
    yield emulator
    assert_slack_would_accept(emulator)


@pytest.fixture
def scored(engine: Engine) -> Engine:
    with unit_of_work(engine) as session:
        load_cdnow(session, customers=300)
        refresh_scores(session, team_id="T1", settings=Settings().analytics, now=CDNOW_END)
    return engine


def settings_for(engine: Engine) -> Settings:
    return Settings(database_url=engine.url.render_as_string(hide_password=False), team_id="T1")


def runner(engine: Engine, emulator: SlackEmulator, instance: str = "test-1") -> AlertRunner:
    client = web_client(token=BOT_TOKEN, base_url=emulator.base_url)
    return AlertRunner(
        engine, settings_for(engine), Workspaces(client), instance=instance, pace=0.0
    )


def add_subscription(engine: Engine, schedule: Schedule = NEW_YORK_9AM, **fields) -> int:
    with unit_of_work(engine) as session:
        subscription = subscribe(
            session,
            team_id="T1",
            channel_id=CHANNEL,
            created_by=SUBSCRIBER,
            schedule=schedule,
            now=datetime(2026, 1, 1, tzinfo=UTC),
            **fields,
        )
        return subscription.id


def deliveries(engine: Engine) -> list[AlertDelivery]:
    with unit_of_work(engine) as session:
        return list(session.exec(select(AlertDelivery).order_by(AlertDelivery.id)).all())


def test_a_due_digest_is_posted_once_with_its_buttons(scored, emulator):
    add_subscription(scored)
    bot = runner(scored, emulator)
    assert bot.tick(SLOT - timedelta(minutes=1)).posted == 0  # not yet
    assert bot.tick(SLOT + timedelta(seconds=5)).posted == 1
    assert bot.tick(SLOT + timedelta(minutes=1)).posted == 0  # that slot is done
    [message] = emulator.messages_in(CHANNEL)
    assert message["text"].startswith("Churn digest:")
    assert message["metadata"]["event_type"] == "crm_alert"
    actions = [b for b in message["blocks"] if b["type"] == "actions"]
    assert actions and [e["text"]["text"] for e in actions[0]["elements"]] == [
        "Log call",
        "Snooze 30 days",
        "Not at risk",
        "Open 360",
    ]
    [delivery] = deliveries(scored)
    assert delivery.status == "sent" and delivery.message_ts == message["ts"]
    assert delivery.customer_ids and delivery.total_value_at_risk > 0


def test_two_runners_on_one_database_post_once(scored, emulator):
    add_subscription(scored)
    second_engine = db.make_engine(scored.url.render_as_string(hide_password=False))
    runners = [runner(scored, emulator, "one"), runner(second_engine, emulator, "two")]
    start = threading.Barrier(2)
    reports = []

    def tick(bot: AlertRunner) -> None:
        start.wait()
        reports.append(bot.tick(SLOT + timedelta(seconds=5)))

    threads = [threading.Thread(target=tick, args=(bot,)) for bot in runners]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(r.posted for r in reports) == [0, 1]
    assert len(emulator.messages_in(CHANNEL)) == 1
    second_engine.dispose()


def test_a_500_then_200_gives_one_post(scored, emulator):
    add_subscription(scored)
    emulator.fail_next("chat.postMessage", status=500)
    assert runner(scored, emulator).tick(SLOT).posted == 1
    statuses = [call.status for call in emulator.calls_to("chat.postMessage")]
    assert statuses == [500, 200]
    assert len(emulator.messages_in(CHANNEL)) == 1


def test_a_failure_past_the_clients_retries_is_retried_by_a_later_tick(scored, emulator):
    add_subscription(scored)
    emulator.fail_next("chat.postMessage", status=500, times=3)  # the client tries 3 times
    bot = runner(scored, emulator)
    assert bot.tick(SLOT).failed == 1
    [delivery] = deliveries(scored)
    assert delivery.status == "failed" and delivery.next_attempt_at > SLOT
    assert bot.tick(SLOT + timedelta(seconds=30)).posted == 0  # backoff not over
    assert bot.tick(SLOT + timedelta(minutes=2)).posted == 1
    assert len(emulator.messages_in(CHANNEL)) == 1
    assert deliveries(scored)[0].status == "sent"


def test_a_channel_the_bot_is_not_in_gives_up_and_tells_the_subscriber_once(scored, emulator):
    add_subscription(scored)
    emulator.channels[CHANNEL]["is_member"] = False
    bot = runner(scored, emulator)
    assert bot.tick(SLOT).gave_up == 1
    bot.tick(SLOT + timedelta(hours=1))
    told = [c for c in emulator.calls_to("chat.postMessage") if c.args["channel"] == SUBSCRIBER]
    assert len(told) == 1
    assert "invite me" in told[0].args["text"] and "not_in_channel" in told[0].args["text"]
    assert emulator.messages_in(CHANNEL) == []
    assert deliveries(scored)[0].status == "gave_up"


def test_a_missed_slot_is_caught_up_once_within_the_grace_period(scored, emulator):
    add_subscription(scored)
    bot = runner(scored, emulator)
    # Down for the whole grace period (120 minutes): that slot is skipped, not posted late.
    assert bot.tick(SLOT + timedelta(minutes=121)).posted == 0
    # Back 90 minutes after the next day's slot: caught up once.
    next_slot = SLOT + timedelta(days=1)
    assert bot.tick(next_slot + timedelta(minutes=90)).posted == 1
    assert bot.tick(next_slot + timedelta(minutes=91)).posted == 0
    assert len(emulator.messages_in(CHANNEL)) == 1


@pytest.mark.parametrize(
    ("day", "utc_hour"),
    [
        (datetime(2026, 3, 6, tzinfo=UTC), 14),  # Friday before the change: EST, UTC-5
        (datetime(2026, 3, 9, tzinfo=UTC), 13),  # Monday after: EDT, UTC-4
        (datetime(2026, 10, 30, tzinfo=UTC), 13),  # Friday before the autumn change: EDT
        (datetime(2026, 11, 2, tzinfo=UTC), 14),  # Monday after: EST
    ],
)
def test_9am_new_york_fires_at_the_right_utc_instant_around_dst(scored, emulator, day, utc_hour):
    add_subscription(scored)
    bot = runner(scored, emulator)
    instant = day.replace(hour=utc_hour)
    assert bot.tick(instant - timedelta(minutes=1)).posted == 0
    assert bot.tick(instant).posted == 1
    assert deliveries(scored)[0].slot_at == instant


def test_quiet_subscription_posts_nothing_when_nobody_new_is_at_risk(scored, emulator):
    add_subscription(scored, quiet_when_unchanged=True)
    bot = runner(scored, emulator)
    assert bot.tick(SLOT).posted == 1
    assert bot.tick(SLOT + timedelta(days=1)).skipped == 1
    assert len(emulator.messages_in(CHANNEL)) == 1
    statuses = [d.status for d in deliveries(scored)]
    assert statuses == ["sent", "skipped"]


def test_all_clear_line_when_nobody_new_is_at_risk(scored, emulator):
    add_subscription(scored)
    bot = runner(scored, emulator)
    bot.tick(SLOT)
    bot.tick(SLOT + timedelta(days=1))
    first, second = emulator.messages_in(CHANNEL)
    assert "All clear" in second["text"] and "nobody new" in second["text"]
    with unit_of_work(scored) as session:  # what `alerts list` shows as the last post
        [(subscription_id, last)] = claims.latest_deliveries(session, team_id="T1").items()
    assert (last.slot_at, last.message_ts) == (SLOT + timedelta(days=1), second["ts"])
    assert not [b for b in second["blocks"] if b["type"] == "actions"]


def test_a_new_detractor_alerts_the_owner_once(scored, emulator):
    with unit_of_work(scored) as session:
        customer = session.exec(select(Customer).where(Customer.owner_user_id.is_not(None))).first()
        record_nps(
            session,
            team_id="T1",
            customer_id=customer.id,
            score=3,
            comment="<!channel> support never answers",
            responded_at=datetime.now(UTC),
        )
        owner = customer.owner_user_id
    bot = runner(scored, emulator)
    assert bot.tick().detractors == 1
    assert bot.tick().detractors == 0
    [dm] = [c for c in emulator.calls_to("chat.postMessage") if c.args["channel"] == owner]
    assert "&lt;!channel&gt; support never answers" in str(dm.json("blocks"))
    assert "Log call" in str(dm.json("blocks"))


def test_a_process_killed_mid_post_is_not_posted_twice(scored, emulator, tmp_path):
    # The schedule's slots are far from now; `crm alerts run --now` posts at once.
    add_subscription(scored, Schedule("weekly", "03:00", "Pacific/Kiritimati", weekday=0))
    emulator.delay_next("chat.postMessage", 60)  # Slack got the post; the reply never comes
    env = {
        **os.environ,
        "CRM_DATABASE_URL": scored.url.render_as_string(hide_password=False),
        "CRM_TEAM_ID": "T1",
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_API_URL": emulator.base_url,
    }
    crm = Path(sys.executable).with_name("crm")
    process = subprocess.Popen(
        [str(crm), "alerts", "run", "--now"],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        emulator.wait_for("chat.postMessage", timeout=60)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(10)
    [delivery] = deliveries(scored)
    assert delivery.status == "posting"
    assert len(emulator.messages_in(CHANNEL)) == 1
    # A restarted runner takes the claim over when its lease ends, finds the post, adds none.
    later = datetime.now(UTC) + claims.LEASE + timedelta(seconds=1)
    runner(scored, emulator, "restarted").tick(later)
    assert len(emulator.messages_in(CHANNEL)) == 1
    [delivery] = deliveries(scored)
    assert (
        delivery.status == "sent" and delivery.message_ts == emulator.messages_in(CHANNEL)[0]["ts"]
    )


def test_posts_to_one_channel_are_spaced_across_runners(scored, emulator):
    for floor in range(4):  # four digests for one slot (the same one twice is refused)
        add_subscription(scored, min_value_at_risk=float(floor))
    second_engine = db.make_engine(scored.url.render_as_string(hide_password=False))
    runners = [runner(scored, emulator, "one"), runner(second_engine, emulator, "two")]
    for bot in runners:
        bot.pace = 0.5
    threads = [threading.Thread(target=bot.tick, args=(SLOT,)) for bot in runners]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    posts = [c for c in emulator.calls_to("chat.postMessage") if c.args["channel"] == CHANNEL]
    assert len(posts) == 4 == len(emulator.messages_in(CHANNEL))
    arrivals = sorted(call.at for call in posts)
    gaps = [later - earlier for earlier, later in zip(arrivals, arrivals[1:], strict=False)]
    assert min(gaps) >= 0.45, gaps
    second_engine.dispose()


def test_the_scheduler_in_crm_serve_posts_a_due_digest(scored, emulator):
    from bot.scheduler import start_scheduler

    now = datetime.now(UTC)
    add_subscription(scored, Schedule("daily", f"{now:%H:%M}", "UTC"))
    client = web_client(token=BOT_TOKEN, base_url=emulator.base_url)
    scheduler = start_scheduler(settings_for(scored), client, every_seconds=0.5)
    try:
        emulator.wait_for("chat.postMessage", timeout=20)
    finally:
        scheduler.shutdown()
    [message] = emulator.messages_in(CHANNEL)
    assert message["text"].startswith("Churn digest:")
    assert [d.status for d in deliveries(scored)] == ["sent"]


def test_a_post_whose_answer_was_lost_is_not_posted_again(scored, emulator):
    add_subscription(scored)
    emulator.drop_next("chat.postMessage")  # Slack posts it, then the connection drops
    bot = runner(scored, emulator)
    assert bot.tick(SLOT).failed == 1
    assert len(emulator.messages_in(CHANNEL)) == 1
    # The retry looks in the channel first, finds the message, and posts nothing more.
    assert bot.tick(SLOT + timedelta(minutes=2)).posted == 1
    assert len(emulator.messages_in(CHANNEL)) == 1
    [delivery] = deliveries(scored)
    assert (
        delivery.status == "sent" and delivery.message_ts == emulator.messages_in(CHANNEL)[0]["ts"]
    )
