"""The Slack bot over real HTTP: signed requests in, the real WebClient out to the emulator."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, create_engine, select, text
from sqlmodel import Session

from crm_core.customers import create_customer
from crm_core.db import unit_of_work
from crm_core.models import Interaction
from tests.bot_server import (
    assert_message_within_limits,
    assert_slack_would_accept,
    running_bot,
)
from tests.slack_emulator import SlackEmulator
from tests.slack_requests import SlackSender


@pytest.fixture
def slack(engine: Engine, emulator: SlackEmulator) -> Iterator[SlackSender]:
    with unit_of_work(engine) as session:
        create_customer(session, team_id="T1", name="Acme Corp", owner_user_id="U0REP0001")
    with running_bot(engine, emulator) as sender:
        emulator.reset()  # start-up's auth.test is not what the tests look at
        yield sender
    assert_slack_would_accept(emulator)


def interactions(engine: Engine) -> list[Interaction]:
    with Session(engine) as session:
        return list(session.exec(select(Interaction).where(Interaction.team_id == "T1")).scalars())


def test_a_bad_signature_is_refused_and_calls_nothing(slack, emulator):
    reply = slack.slash("customer acme", response_url=emulator.response_url(), secret="wrong")
    assert reply.status == 401
    assert emulator.calls == []


def test_an_old_timestamp_is_refused(slack, emulator):
    old = str(int(time.time()) - 301)
    reply = slack.slash("customer acme", response_url=emulator.response_url(), timestamp=old)
    assert reply.status == 401
    assert emulator.calls == []


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Slack-Signature": "not-a-signature"},
        {"X-Slack-Request-Timestamp": "yesterday"},
        {"X-Slack-Signature": "", "X-Slack-Request-Timestamp": ""},
    ],
)
def test_malformed_headers_get_401_not_500(slack, emulator, headers):
    reply = slack.slash("customer acme", response_url=emulator.response_url(), headers=headers)
    assert reply.status == 401
    assert emulator.calls == []


def test_url_verification_echoes_the_challenge(slack):
    body = json.dumps(
        {
            "token": "x",
            "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",
            "type": "url_verification",
        }
    ).encode()
    reply = slack.post(body, "application/json")
    assert reply.status == 200
    assert "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" in reply.body.decode()


def test_a_quick_answer_comes_in_the_ack_for_the_asker_only(slack, emulator):
    reply = slack.slash("customer acme", response_url=emulator.response_url())
    assert reply.status == 200
    message = reply.json()
    assert message["response_type"] == "ephemeral"
    assert "Acme Corp" in message["text"] + json.dumps(message["blocks"])
    assert_message_within_limits(message)


def test_share_posts_the_answer_in_the_channel(slack, emulator):
    reply = slack.slash("customer acme share", response_url=emulator.response_url())
    assert reply.json()["response_type"] == "in_channel"


def hold_write_lock(engine: Engine, seconds: float) -> threading.Thread:
    """Another writer holds the interaction table for `seconds`: a real reason to be slow."""
    started = threading.Event()

    def hold() -> None:
        if engine.dialect.name == "sqlite":
            raw = create_engine(engine.url).raw_connection()
            raw.execute("BEGIN IMMEDIATE")
            started.set()
            time.sleep(seconds)
            raw.rollback()
            raw.close()
            return
        with engine.connect() as connection, connection.begin():
            connection.execute(text("LOCK TABLE interaction IN EXCLUSIVE MODE"))
            started.set()
            time.sleep(seconds)

    thread = threading.Thread(target=hold, daemon=True)
    thread.start()
    started.wait(5)
    return thread


def test_a_slow_command_is_acknowledged_in_time_and_answered_by_response_url(
    slack, emulator, engine
):
    holder = hold_write_lock(engine, 5.0)  # the work takes 5 s
    url = emulator.response_url("slow")
    reply = slack.slash("log call with Acme: renewal talk", response_url=url)
    assert reply.status == 200
    assert reply.seconds < 3.0
    assert "Working on it" in reply.json()["text"]
    [answer] = emulator.wait_for("response_url", timeout=15)
    holder.join()
    assert "Acme Corp" in answer.args["text"] + json.dumps(answer.args.get("blocks"))
    assert_message_within_limits(answer.args)
    assert [i.summary for i in interactions(engine)] == ["renewal talk"]


def test_a_retried_mention_logs_once_and_posts_once(slack, emulator, engine):
    first = slack.mention("log call with Acme: pricing questions", event_id="Ev0RETRY1")
    assert first.status == 200
    emulator.wait_for("chat.postMessage")
    again = slack.mention("log call with Acme: pricing questions", event_id="Ev0RETRY1", retry=1)
    assert again.status == 200
    time.sleep(0.5)
    assert len(emulator.calls_to("chat.postMessage")) == 1
    [logged] = interactions(engine)
    assert logged.summary == "pricing questions" and logged.author_user_id == "U0REP0001"
    assert logged.permalink and logged.permalink.startswith("https://")
    posted = emulator.calls_to("chat.postMessage")[0]
    assert posted.args["thread_ts"]  # answered in the mention's thread
    assert_message_within_limits(posted.args)


def test_user_text_reaches_slack_escaped(slack, emulator):
    slack.mention("log note with Acme: tell <!channel> & <@U0BOSS> about it")
    [posted] = emulator.wait_for("chat.postMessage")
    sent = posted.args["text"] + json.dumps(posted.json("blocks"))
    assert "<!channel>" not in sent and "&lt;!channel&gt;" in sent


def test_the_bots_own_messages_are_ignored(slack, emulator):
    event = {
        "type": "message",
        "channel_type": "im",
        "channel": "D0BOT",
        "user": "UBOT",
        "bot_id": "B0CRM",
        "text": "customer acme",
        "ts": "1700000999.000100",
    }
    assert slack.event(event).status == 200
    time.sleep(0.5)
    assert emulator.calls_to("chat.postMessage") == []


def test_a_direct_message_is_answered(slack, emulator):
    event = {
        "type": "message",
        "channel_type": "im",
        "channel": "D0REP",
        "user": "U0REP0001",
        "text": "customer acme",
        "ts": "1700000998.000100",
    }
    slack.event(event)
    [posted] = emulator.wait_for("chat.postMessage")
    assert posted.args["channel"] == "D0REP"
    assert "Acme Corp" in posted.args["text"] + json.dumps(posted.json("blocks"))


def test_a_rate_limited_post_is_retried_and_succeeds(slack, emulator):
    emulator.fail_next("chat.postMessage", status=429, retry_after=1)
    slack.mention("customer acme")
    posted = emulator.wait_for("chat.postMessage", count=2, timeout=10)
    assert [getattr(call, "status", 200) for call in posted] == [429, 200]


def test_a_button_runs_its_command_for_the_clicker(slack, emulator):
    clicked = slack.click(
        "crm_run:0", "customer acme", response_url=emulator.response_url("button")
    )
    assert clicked.status == 200
    [answer] = emulator.wait_for("response_url")
    assert "Acme Corp" in answer.args["text"] + json.dumps(answer.args.get("blocks"))


def test_a_chart_is_uploaded_with_the_answer(slack, emulator, engine):
    from crm_core.nps import record_nps

    with unit_of_work(engine) as session:
        for score in (10, 9, 7, 3, 10):
            record_nps(session, team_id="T1", customer_id=1, score=score)
    reply = slack.slash("nps chart", response_url=emulator.response_url())
    assert reply.status == 200 and "NPS" in reply.json()["text"]
    [completed] = emulator.wait_for("files.completeUploadExternal", timeout=10)
    assert completed.args["channel_id"] == "C0SALES"
    [picture] = emulator.uploads.values()
    assert picture.startswith(b"\x89PNG")


def test_asking_for_a_chart_an_answer_does_not_have_says_which_do(slack, emulator):
    reply = slack.slash("customer acme chart", response_url=emulator.response_url("nochart"))
    assert "Acme Corp" in reply.json()["text"] + json.dumps(reply.json()["blocks"])
    [told] = emulator.wait_for("response_url")
    assert "has no chart" in told.args["text"]
