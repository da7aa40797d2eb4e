"""The bot's views over real HTTP: App Home, the Log-to-CRM shortcuts, modal and picker."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, select
from sqlmodel import Session

from bot.slack_ids import LOG_GLOBAL_SHORTCUT, LOG_MESSAGE_SHORTCUT
from crm_core.customers import create_customer
from crm_core.db import unit_of_work
from crm_core.interactions import log_interaction
from crm_core.models import Interaction
from reports import views
from tests.bot_server import assert_slack_would_accept, running_bot
from tests.slack_emulator import SlackEmulator
from tests.slack_requests import SlackSender

PARIS = ZoneInfo("Europe/Paris")


@pytest.fixture
def emulator(emulator: SlackEmulator) -> SlackEmulator:
    emulator.users["U0REP0001"] = {"tz": "Europe/Paris"}
    return emulator


@pytest.fixture
def acme(engine: Engine) -> int:
    with unit_of_work(engine) as session:
        create_customer(session, team_id="T1", name="Globex")
        customer = create_customer(
            session, team_id="T1", name="Acme Corp", owner_user_id="U0REP0001"
        )
        log_interaction(
            session,
            team_id="T1",
            customer_id=customer.id,
            kind="call",
            summary="pricing",
            author_user_id="U0REP0001",
            source="console",
            follow_up_at=datetime.now(PARIS) - timedelta(days=1),
        )
        return customer.id


@pytest.fixture
def slack(engine: Engine, emulator: SlackEmulator, acme: int) -> Iterator[SlackSender]:
    with running_bot(engine, emulator) as sender:
        emulator.reset()
        yield sender
    assert_slack_would_accept(emulator)


def stored(engine: Engine) -> list[Interaction]:
    with Session(engine) as session:
        query = select(Interaction).where(Interaction.team_id == "T1").order_by(Interaction.id)
        return list(session.execute(query).scalars())


def texts(blocks: list[dict]) -> str:
    return json.dumps(blocks)


def test_opening_the_home_tab_publishes_my_follow_ups_and_the_team_numbers(slack, emulator):
    slack.event(
        {
            "type": "app_home_opened",
            "user": "U0REP0001",
            "channel": "D0REP",
            "tab": "home",
            "event_ts": "1700000000.000100",
        }
    )
    [published] = emulator.wait_for("views.publish")
    view = published.json("view")
    assert published.args["user_id"] == "U0REP0001" and view["type"] == "home"
    assert 0 < len(view["blocks"]) <= 100
    shown = texts(view["blocks"])
    assert "Acme Corp" in shown and "pricing" in shown  # the overdue follow-up


def test_the_message_shortcut_opens_a_modal_prefilled_with_the_message(slack, emulator):
    payload = {
        "type": "message_action",
        "callback_id": LOG_MESSAGE_SHORTCUT,
        "trigger_id": "13345224609.738474920.8088930838d88f008e0",
        "team": {"id": "T1", "domain": "acme-sales"},
        "user": {"id": "U0REP0001", "team_id": "T1"},
        "channel": {"id": "C0SALES", "name": "sales"},
        "message": {
            "type": "message",
            "user": "U0CUSTOMER",
            "ts": "1700000100.000200",
            "text": "Can we move the renewal call to Friday?",
        },
        "response_url": emulator.response_url("shortcut"),
    }
    assert slack.interaction(payload).status == 200
    [opened] = emulator.wait_for("views.open")
    view = opened.json("view")
    assert opened.args["trigger_id"] == payload["trigger_id"]
    assert view["callback_id"] == views.LOG_MODAL
    assert "Can we move the renewal call to Friday?" in texts(view["blocks"])
    metadata = json.loads(view["private_metadata"])
    assert metadata["permalink"].startswith("https://") and "C0SALES" in metadata["permalink"]


def test_an_expired_trigger_is_explained_to_the_user(slack, emulator):
    emulator.fail_next("views.open", error="expired_trigger_id")
    payload = {
        "type": "message_action",
        "callback_id": LOG_MESSAGE_SHORTCUT,
        "trigger_id": "1.2.x",
        "team": {"id": "T1"},
        "user": {"id": "U0REP0001", "team_id": "T1"},
        "channel": {"id": "C0SALES"},
        "message": {"type": "message", "ts": "1700000100.000300", "text": "hi"},
        "response_url": emulator.response_url("expired"),
    }
    assert slack.interaction(payload).status == 200
    [told] = emulator.wait_for("response_url")
    assert "use the shortcut again" in told.args["text"]


def test_the_global_shortcut_opens_an_empty_modal(slack, emulator):
    payload = {
        "type": "shortcut",
        "callback_id": LOG_GLOBAL_SHORTCUT,
        "trigger_id": "1.2.y",
        "team": {"id": "T1"},
        "user": {"id": "U0REP0001", "team_id": "T1"},
    }
    assert slack.interaction(payload).status == 200
    [opened] = emulator.wait_for("views.open")
    view = opened.json("view")
    assert view["callback_id"] == views.LOG_MODAL
    assert "initial_value" not in texts(view["blocks"])


def test_the_customer_picker_offers_customers_from_the_database(slack):
    payload = {
        "type": "block_suggestion",
        "action_id": views.CUSTOMER_SELECT,
        "block_id": views.CUSTOMER_BLOCK,
        "value": "acme",
        "team": {"id": "T1"},
        "user": {"id": "U0REP0001", "team_id": "T1"},
        "api_app_id": "A0CRM",
        "view": {"id": "V0001", "callback_id": views.LOG_MODAL},
    }
    reply = slack.interaction(payload)
    assert reply.status == 200
    names = [option["text"]["text"] for option in reply.json()["options"]]
    assert names[0] == "Acme Corp" and "Globex" not in names


def submission(customer: int | None, *, summary: str, day: str | None, view_id: str) -> dict:
    values = {
        views.CUSTOMER_BLOCK: {
            views.CUSTOMER_SELECT: {
                "type": "external_select",
                "selected_option": {
                    "text": {"type": "plain_text", "text": "Acme Corp"},
                    "value": str(customer),
                }
                if customer
                else None,
            }
        },
        views.KIND_BLOCK: {
            views.KIND_SELECT: {
                "type": "static_select",
                "selected_option": {
                    "text": {"type": "plain_text", "text": "Meeting"},
                    "value": "meeting",
                },
            }
        },
        views.SUMMARY_BLOCK: {views.SUMMARY_INPUT: {"type": "plain_text_input", "value": summary}},
        views.FOLLOW_UP_BLOCK: {views.FOLLOW_UP_DATE: {"type": "datepicker", "selected_date": day}},
    }
    return {
        "type": "view_submission",
        "team": {"id": "T1", "domain": "acme-sales"},
        "user": {"id": "U0REP0001", "team_id": "T1"},
        "api_app_id": "A0CRM",
        "trigger_id": "1.2.submit",
        "view": {
            "id": view_id,
            "type": "modal",
            "callback_id": views.LOG_MODAL,
            "private_metadata": json.dumps({"permalink": "https://acme.slack.com/archives/C0/p1"}),
            "state": {"values": values},
            "hash": "156772938.1827394",
        },
    }


def test_a_follow_up_in_the_past_is_refused_next_to_the_date(slack, engine, acme):
    before = len(stored(engine))
    yesterday = (datetime.now(PARIS) - timedelta(days=1)).date().isoformat()
    reply = slack.interaction(submission(acme, summary="met", day=yesterday, view_id="V0PAST"))
    assert reply.status == 200
    answer = reply.json()
    assert answer["response_action"] == "errors"
    assert "has passed" in answer["errors"][views.FOLLOW_UP_BLOCK]
    assert len(stored(engine)) == before


def test_an_empty_form_names_each_missing_field(slack, engine):
    reply = slack.interaction(submission(None, summary="  ", day=None, view_id="V0EMPTY"))
    errors = reply.json()["errors"]
    assert set(errors) == {views.CUSTOMER_BLOCK, views.SUMMARY_BLOCK}


def test_a_submission_is_saved_once_and_confirmed(slack, emulator, engine, acme):
    before = len(stored(engine))
    tomorrow = (datetime.now(PARIS) + timedelta(days=1)).date()
    body = submission(
        acme, summary="renewal <!channel> demo", day=tomorrow.isoformat(), view_id="V0GOOD"
    )
    assert slack.interaction(body).status == 200
    assert slack.interaction(body).status == 200  # a double submit
    logged = stored(engine)[before:]
    assert len(logged) == 1
    [saved] = logged
    assert saved.kind == "meeting" and saved.source == "slack"
    assert saved.permalink == "https://acme.slack.com/archives/C0/p1"
    due = saved.follow_up_at.astimezone(PARIS)
    assert due.date() == tomorrow and due.hour == 9
    confirmations = emulator.wait_for("chat.postMessage", count=2)
    assert confirmations[0].args["channel"] == "U0REP0001"
    assert "&lt;!channel&gt;" in confirmations[0].args["text"] + texts(
        confirmations[0].json("blocks")
    )


def test_a_button_on_the_home_tab_answers_in_a_direct_message(slack, emulator):
    assert slack.click("crm_run:0", "customer acme").status == 200  # no response_url: Home
    [posted] = emulator.wait_for("chat.postMessage")
    assert posted.args["channel"] == "U0REP0001"
    assert "Acme Corp" in posted.args["text"] + texts(posted.json("blocks"))


def test_a_customer_of_another_workspace_cannot_be_picked(slack, engine):
    with unit_of_work(engine) as session:
        other = create_customer(session, team_id="T2", name="Initech").id
    before = len(stored(engine))
    reply = slack.interaction(submission(other, summary="met", day=None, view_id="V0OTHER"))
    assert reply.json()["response_action"] == "errors"
    assert views.CUSTOMER_BLOCK in reply.json()["errors"]
    assert len(stored(engine)) == before


def undo_button(blocks: list[dict]) -> dict:
    [button] = [
        element
        for block in blocks
        if block["type"] == "actions"
        for element in block["elements"]
        if element["text"]["text"] == "Undo"
    ]
    return button


def test_a_logged_form_can_be_undone_from_its_confirmation(slack, emulator, engine, acme):
    before = len(stored(engine))
    body = submission(acme, summary="wrong customer", day=None, view_id="V0UNDO")
    assert slack.interaction(body).status == 200
    assert len(stored(engine)) == before + 1
    [confirmation] = emulator.wait_for("chat.postMessage")
    button = undo_button(confirmation.json("blocks"))
    slack.click(button["action_id"], button["value"], response_url=emulator.response_url("u"))
    [undone] = emulator.wait_for("response_url")
    assert "Undid your log" in undone.args["text"]
    assert len(stored(engine)) == before
