"""No request ends in a 500 with a traceback: numbers the grammar accepts are bounded, a
button naming an unknown customer says so, and a listener that fails unexpectedly answers in
a sentence while the operator's log gets the error (and not the request)."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from bot.listener_errors import SOMETHING_WENT_WRONG
from commands.results import Problem
from crm_core.customers import create_customer
from crm_core.db import unit_of_work
from reports import views
from reports.action_ids import LOG_BUTTON
from tests.bot_server import running_bot
from tests.slack_emulator import SlackEmulator
from tests.slack_requests import SlackSender

ADMIN = "U0ADMIN01"


@pytest.mark.parametrize(
    ("line", "said"),
    [
        ("audit last 999999999 days", "at most 3,650 days"),
        ("audit last 99999999999999999999 weeks", "try `audit last 90 days`"),
        ("clv check holdout 99999999999 weeks", "at most 520 weeks"),
        ("clv top 999999", "use top 1 to top 100"),
        ("nps last 99999999999 days", "between 1 day and 10 years"),
        ("log call with acme: x, follow up in 99999999 months", "more than 10 years ahead"),
        ("alerts unsubscribe 99999999999999999999999", "is not a subscription number"),
        ("alerts test 99999999999999999999999", "is not a subscription number"),
        ("alerts preview 99999999999999999999999", "is not a subscription number"),
        ("purchase acme 99999999999999999999999", "too large for an order"),
        ("alerts subscribe daily min value " + "9" * 400, "is more than any customer is worth"),
    ],
)
def test_a_number_too_large_for_its_dates_or_ids_is_refused_with_a_way_forward(bot, line, said):
    bot.exec("add customer Acme")
    out = bot.exec(line, role="admin")  # audit is an admin's: a rep is refused before parsing
    assert isinstance(bot.result, Problem)
    assert said in out


@pytest.fixture
def slack(engine: Engine, emulator: SlackEmulator) -> Iterator[SlackSender]:
    with unit_of_work(engine) as session:
        create_customer(session, team_id="T1", name="Acme Corp")
    with running_bot(engine, emulator, admins=[ADMIN]) as sender:
        emulator.reset()
        yield sender


def test_an_admins_audit_over_a_billion_days_is_answered_with_the_bound(slack, emulator):
    reply = slack.slash(
        "audit last 999999999 days", response_url=emulator.response_url(), user=ADMIN
    )
    assert reply.status == 200
    text = reply.json()["text"]
    assert "audit looks back" in text and "at most 3,650 days" in text
    assert "try `audit last 90 days`" in text


@pytest.mark.parametrize(("value", "named"), [("999999", "#999999"), ("abc", "'abc'")])
def test_a_log_button_for_an_unknown_customer_says_there_is_none(slack, emulator, value, named):
    reply = slack.click(f"{LOG_BUTTON}:0", value, response_url=emulator.response_url("log"))
    assert reply.status == 200
    [answer] = emulator.wait_for("response_url")
    assert answer.args["response_type"] == "ephemeral"
    assert f"There is no customer {named}" in answer.args["text"]
    assert emulator.calls_to("views.open") == []


def test_a_log_button_on_the_home_tab_answers_an_unknown_customer_in_a_dm(slack, emulator):
    assert slack.click(f"{LOG_BUTTON}:0", "999999").status == 200  # no response_url: Home
    [posted] = emulator.wait_for("chat.postMessage")
    assert posted.args["channel"] == "U0REP0001"
    assert "There is no customer #999999" in posted.args["text"]


def test_a_listener_failing_after_the_ack_tells_the_user_and_logs_no_request(
    slack, emulator, caplog
):
    emulator.fail_next("chat.postMessage", error="channel_not_found")  # Slack refuses the answer
    event = {
        "type": "message",
        "channel_type": "im",
        "channel": "D0REP",
        "user": "U0REP0001",
        "text": "customer acme secret-looking-text",
        "ts": "1700000777.000100",
    }
    with caplog.at_level(logging.INFO):
        assert slack.event(event).status == 200
        [told] = emulator.wait_for("chat.postEphemeral")
    assert told.args["channel"] == "D0REP" and told.args["user"] == "U0REP0001"
    assert told.args["text"] == SOMETHING_WENT_WRONG
    failures = [r for r in caplog.records if r.name == "bot.listener_errors"]
    assert failures and failures[0].exc_info is not None  # the operator gets the error
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "secret-looking-text" not in logged


def test_a_listener_failing_before_the_ack_answers_200_and_tells_the_user(slack, emulator):
    # A modal submission without the summary block: the listener's lookup of it fails.
    payload = {
        "type": "view_submission",
        "team": {"id": "T1", "domain": "acme-sales"},
        "user": {"id": "U0REP0001", "team_id": "T1"},
        "api_app_id": "A0CRM",
        "trigger_id": "1.2.submit",
        "view": {
            "id": "V0BROKEN",
            "type": "modal",
            "callback_id": views.LOG_MODAL,
            "private_metadata": "{}",
            "state": {"values": {}},
            "hash": "156772938.1827394",
        },
    }
    reply = slack.interaction(payload)
    assert reply.status == 200
    assert b"Traceback" not in reply.body
    [told] = emulator.wait_for("chat.postMessage")
    assert told.args["channel"] == "U0REP0001" and told.args["text"] == SOMETHING_WENT_WRONG
