"""Two workspaces in one database: nothing of one ever reaches the other, through every way
the bot answers (commands, the 360 card, search, the customer picker, App Home, alerts and
chart data)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import Engine, update
from sqlmodel import select

from bot.alert_runner import AlertRunner
from bot.client import web_client
from bot.workspaces import Workspaces
from commands.results import ClvTop
from crm_core.alerts.schedule import Schedule
from crm_core.alerts.subscriptions import subscribe
from crm_core.analytics.customer_scores import scores
from crm_core.analytics.scoring import refresh_scores
from crm_core.db import unit_of_work
from crm_core.interactions import log_interaction
from crm_core.models import Customer
from crm_core.nps import record_nps
from crm_core.settings import Settings
from reports import views
from tests.analytics_data import CDNOW_END, load_cdnow
from tests.bot_server import BOT_TOKEN, assert_slack_would_accept, running_bot
from tests.slack_requests import SlackSender

OWNER = "U0OWNER01"  # owns customers in both workspaces
# T2's names all start "Zyxtra"; commands type "zyxtr", so only a leak shows the whole word.
SECRETS = ("Zyxtra", "zeta-secret-note", "zeta-secret-comment")


@pytest.fixture
def two_workspaces(engine: Engine) -> dict[str, int]:
    """T1 and T2, each with CDNOW customers and scores; T2's names and texts are marked."""
    ids = {}
    with unit_of_work(engine) as session:
        for team in ("T1", "T2"):
            load_cdnow(session, customers=150, team_id=team)
        session.execute(
            update(Customer)
            .where(Customer.team_id == "T2")
            .values(
                name="Zyxtra " + Customer.name, normalized_name="zyxtra " + Customer.normalized_name
            )
        )
        zeta = session.exec(select(Customer).where(Customer.team_id == "T2")).first()
        log_interaction(
            session, team_id="T2", customer_id=zeta.id, kind="call", summary="zeta-secret-note",
            author_user_id=OWNER, source="slack", occurred_at=CDNOW_END,
            follow_up_at=CDNOW_END + timedelta(days=1),
        )  # fmt: skip
        record_nps(session, team_id="T2", customer_id=zeta.id, score=2,
                   comment="zeta-secret-comment", responded_at=CDNOW_END)  # fmt: skip
        ids["zeta"] = zeta.id
    for team in ("T1", "T2"):
        with unit_of_work(engine) as session:
            refresh_scores(session, team_id=team, settings=Settings().analytics, now=CDNOW_END)
    return ids


@pytest.fixture
def slack(engine, emulator, two_workspaces) -> Iterator[SlackSender]:
    with running_bot(engine, emulator) as sender:
        emulator.reset()
        yield sender
    assert_slack_would_accept(emulator)


def assert_nothing_of_t2(what: object, context: str) -> None:
    shown = json.dumps(what) if not isinstance(what, str) else what
    for secret in SECRETS:
        assert secret.lower() not in shown.lower(), f"{context} shows {secret!r}: {shown[:300]}"


def test_no_command_of_one_workspace_shows_the_others_data(slack, emulator, two_workspaces):
    zeta = two_workspaces["zeta"]
    for line in [
        "customer Zyxtr CDNOW 1",
        f"customer #{zeta}",
        "find zyxtr",
        "find cdnow 1",
        "clv top 50",
        f"clv #{zeta}",
        "churn top 50",
        "churn owner me",
        "churn rate",
        "retention cohorts",
        "nps",
        "nps by owner",
        "segments",
        "pareto",
        "cac",
        "followups all",
        "followups overdue",
        "alerts preview",
        f"done #{zeta}",
        f"log call with #{zeta}: probing",
        f"nps #{zeta} 9",
    ]:
        reply = slack.slash(line, user=OWNER, response_url=emulator.response_url())
        assert reply.status == 200, line
        assert_nothing_of_t2(reply.json(), line)


def test_the_picker_and_app_home_show_only_their_workspace(slack, emulator):
    reply = slack.interaction(
        {
            "type": "block_suggestion",
            "action_id": views.CUSTOMER_SELECT,
            "block_id": views.CUSTOMER_BLOCK,
            "value": "zyxtr",
            "team": {"id": "T1"},
            "user": {"id": OWNER, "team_id": "T1"},
            "api_app_id": "A0CRM",
            "view": {"id": "V0001", "callback_id": views.LOG_MODAL},
        }  # fmt: skip
    )
    assert reply.json()["options"] == []
    slack.event(
        {
            "type": "app_home_opened",
            "user": OWNER,
            "channel": "D0OWNER",
            "tab": "home",
            "event_ts": "1700000000.000100",
        }  # fmt: skip
    )
    [published] = emulator.wait_for("views.publish")
    assert_nothing_of_t2(published.json("view"), "App Home")
    assert "CDNOW" in json.dumps(published.json("view"))  # it does show T1's own


def test_alerts_and_chart_data_stay_in_their_workspace(engine, emulator, two_workspaces, bot):
    with unit_of_work(engine) as session:
        for team in ("T1", "T2"):
            subscribe(session, team_id=team, channel_id=f"C0{team}ALERTS", created_by=OWNER,
                      schedule=Schedule("daily", "09:00", "UTC"),
                      now=CDNOW_END - timedelta(days=2))  # fmt: skip
    client = web_client(token=BOT_TOKEN, base_url=emulator.base_url)
    settings = Settings(database_url=engine.url.render_as_string(hide_password=False))
    AlertRunner(engine, settings, Workspaces(client), pace=0).tick(
        CDNOW_END.replace(hour=9, minute=1)
    )
    [t1_digest] = emulator.messages_in("C0T1ALERTS")
    [t2_digest] = emulator.messages_in("C0T2ALERTS")
    assert_nothing_of_t2(t1_digest, "T1's digest")
    assert "Zyxtra" in json.dumps(t2_digest), t2_digest["text"]  # T2 sees its own
    bot.now = CDNOW_END
    bot.ask("clv top 10", wants_chart=True)
    assert isinstance(bot.result, ClvTop)
    with unit_of_work(engine) as session:
        t1_scores = session.exec(select(scores("T1").c.clv)).all()
    assert sorted(bot.result.distribution) == sorted(t1_scores)  # the chart's data: T1 only
