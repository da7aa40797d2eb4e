"""Many workspaces: the OAuth install through /slack/install, each workspace answered with its
own token, an uninstalled or never-installed workspace touching nothing."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine
from sqlmodel import select

from bot.workspaces import installation_store
from crm_core.db import unit_of_work
from crm_core.models import AlertSubscription, AuditEvent, Customer
from tests.bot_server import running_bot
from tests.oauth_install import drop_slack_tables, install, oauth_environment
from tests.slack_emulator import SlackEmulator
from tests.slack_requests import SlackSender


@pytest.fixture
def bot(engine: Engine, emulator: SlackEmulator, monkeypatch) -> Iterator[SlackSender]:
    oauth_environment(monkeypatch)
    drop_slack_tables(engine)
    with running_bot(engine, emulator) as sender:
        yield sender
    drop_slack_tables(engine)  # not the CRM's tables: the migrations test compares those


def customers(engine: Engine, team_id: str) -> list[str]:
    with unit_of_work(engine) as session:
        return list(session.exec(select(Customer.name).where(Customer.team_id == team_id)).all())


def test_an_installed_workspace_is_served_with_its_own_token(bot, emulator, engine):
    install(bot, emulator, "T2")
    bot_record = installation_store(engine).find_bot(enterprise_id=None, team_id="T2")
    assert bot_record is not None and bot_record.bot_token.startswith("xoxb-t2-")
    t2 = SlackSender(bot.url, team_id="T2")
    reply = t2.slash("add customer Globex Two", response_url=emulator.response_url())
    assert reply.status == 200 and "Globex Two" in reply.body.decode()
    assert customers(engine, "T2") == ["Globex Two"]
    asked = emulator.calls_to("users.info")
    assert asked and all(call.token == bot_record.bot_token for call in asked)


def test_a_workspace_that_never_installed_touches_nothing(bot, emulator, engine):
    install(bot, emulator, "T2")
    emulator.reset()
    stranger = SlackSender(bot.url, team_id="T9")
    reply = stranger.slash("add customer Ghost", response_url=emulator.response_url())
    assert reply.status == 200
    assert customers(engine, "T9") == []
    assert [c.method for c in emulator.calls if c.method != "response_url"] == []


def test_uninstalling_forgets_the_token_and_stops_the_alerts(bot, emulator, engine):
    install(bot, emulator, "T2")
    t2 = SlackSender(bot.url, team_id="T2")
    t2.slash("alerts subscribe daily at 9:00", response_url=emulator.response_url())
    assert t2.event({"type": "app_uninstalled", "event_ts": "1700000000.000100"}).status == 200
    store = installation_store(engine)

    def active() -> list[bool]:
        with unit_of_work(engine) as session:
            return [s.active for s in session.exec(select(AlertSubscription)).all()]

    for _ in range(100):  # the event is handled after its ack
        if active() == [False]:
            break
        time.sleep(0.1)
    assert store.find_bot(enterprise_id=None, team_id="T2") is None
    with unit_of_work(engine) as session:
        subscriptions = session.exec(select(AlertSubscription)).all()
        audited = session.exec(select(AuditEvent.action).where(AuditEvent.team_id == "T2")).all()
    assert [s.active for s in subscriptions] == [False]
    assert "uninstall" in audited
    t2.slash("add customer After Uninstall", response_url=emulator.response_url())
    assert customers(engine, "T2") == []
