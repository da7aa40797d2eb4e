"""alerts from Slack: the channel checked with conversations.info, `alerts test`, the
digest's Snooze and Not-at-risk buttons, over signed HTTP and the emulator."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine
from sqlmodel import select

from crm_core.analytics.scoring import refresh_scores
from crm_core.db import unit_of_work
from crm_core.models import AlertFeedback, AlertSubscription
from crm_core.settings import Settings
from tests.analytics_data import CDNOW_END, load_cdnow
from tests.bot_server import assert_slack_would_accept, running_bot
from tests.slack_emulator import SlackEmulator
from tests.slack_requests import SlackSender


@pytest.fixture
def emulator(emulator: SlackEmulator) -> SlackEmulator:
    emulator.channels.update(
        {
            "C0SALES": {"name": "sales", "is_member": True},
            "C0OUTSIDE": {"name": "outside", "is_member": False},
        }
    )
    return emulator


@pytest.fixture
def slack(engine: Engine, emulator: SlackEmulator) -> Iterator[SlackSender]:
    with unit_of_work(engine) as session:
        load_cdnow(session, customers=200)
        refresh_scores(session, team_id="T1", settings=Settings().analytics, now=CDNOW_END)
    with running_bot(engine, emulator, admins=["U0ADMIN01"]) as sender:
        emulator.reset()
        yield sender
    assert_slack_would_accept(emulator)


def said(reply) -> str:
    message = reply.json()
    return message["text"] + json.dumps(message.get("blocks", []))


def subscriptions(engine: Engine) -> list[AlertSubscription]:
    with unit_of_work(engine) as session:
        return list(session.exec(select(AlertSubscription)).all())


def test_subscribing_checks_the_channel_with_slack(slack, emulator, engine, bot):
    # Another channel than the one typed in takes an admin.
    outside = "alerts subscribe <#C0OUTSIDE|outside>"
    reply = slack.slash(outside, response_url=emulator.response_url())
    assert "only an admin can subscribe a channel other than" in said(reply)
    admin = {"user": "U0ADMIN01", "response_url": emulator.response_url()}
    reply = slack.slash(outside, **admin)
    assert "not in" in said(reply) and "/invite" in said(reply)
    reply = slack.slash("alerts subscribe <#C0GONE|gone>", **admin)
    assert "can't find the channel" in said(reply)
    assert subscriptions(engine) == []
    reply = slack.slash("alerts subscribe daily at 9:00", response_url=emulator.response_url())
    assert "Subscribed <#C0SALES>" in said(reply)  # the channel the command was typed in
    [subscription] = subscriptions(engine)
    assert subscription.channel_id == "C0SALES" and subscription.channel_name == "sales"
    assert "channel #sales (C0SALES)" in bot.exec("alerts list")  # the console names it too
    assert [c.args["channel"] for c in emulator.calls_to("conversations.info")] == [
        "C0OUTSIDE",
        "C0GONE",
        "C0SALES",
    ]


def test_alerts_test_posts_the_digest_now(slack, emulator):
    slack.slash("alerts subscribe", response_url=emulator.response_url())
    reply = slack.slash("alerts test", response_url=emulator.response_url())
    answer = said(reply)
    if "Working on it" in answer:  # answered later, by response_url
        answer = json.dumps(emulator.wait_for("response_url")[-1].args)
    assert "Posted the churn digest" in answer
    [digest] = emulator.messages_in("C0SALES")
    assert digest["text"].startswith("Churn digest:")


def test_snooze_button_stores_feedback_for_the_clicker(slack, emulator, engine):
    clicked = slack.click("crm_snooze:1", "1", response_url=emulator.response_url("snooze"))
    assert clicked.status == 200
    [answer] = emulator.wait_for("response_url")
    assert "Snoozed" in answer.args["text"] and answer.args["response_type"] == "ephemeral"
    with unit_of_work(engine) as session:
        [feedback] = session.exec(select(AlertFeedback)).all()
    assert (feedback.customer_id, feedback.kind, feedback.user_id) == (1, "snooze", "U0REP0001")
    [undo] = [
        element
        for block in answer.json("blocks")
        if block["type"] == "actions"
        for element in block["elements"]
        if element["text"]["text"] == "Undo"
    ]
    slack.click(undo["action_id"], undo["value"], response_url=emulator.response_url("undo"))
    undone = emulator.wait_for("response_url", count=2)[-1]
    assert 'Undid your "snooze"' in undone.args["text"]
    with unit_of_work(engine) as session:
        assert session.exec(select(AlertFeedback)).all() == []
    slack.click("crm_snooze:1", "1", response_url=emulator.response_url("again"))
    emulator.wait_for("response_url", count=3)
    # A customer of another workspace cannot be snoozed from this one.
    slack.click("crm_snooze:1", "1", response_url=emulator.response_url("other"), team="T2")
    answer = emulator.wait_for("response_url", count=4)[-1]
    assert "could not record" in answer.args["text"]
