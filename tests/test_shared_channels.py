"""Customer data goes into a channel shared with another organisation only with an admin's
allowance (issue 20, item 4): `alerts subscribe`, `alerts test` and a shared answer there
are refused or kept to the asker until an admin types `channels share`. Commands run
through commands.dispatch with the bot's own Slack side, against the Web API emulator."""

from __future__ import annotations

import pytest
from sqlmodel import select

from bot.alert_runner import AlertRunner
from bot.client import web_client
from bot.slack_side import BotSlackSide
from bot.workspaces import workspaces
from commands import dispatch
from commands.actor import Backend
from commands.results import AlertSubscribed, ChannelSharing, CustomerCard, Problem
from crm_core.customers import create_customer
from crm_core.db import unit_of_work
from crm_core.models import AlertSubscription, AuditEvent
from crm_core.settings import Settings
from tests.bot_server import BOT_TOKEN
from tests.slack_emulator import SlackEmulator

CONNECT = {"source": "slack", "channel_id": "C0CONNECT"}
SALES = {"source": "slack", "channel_id": "C0SALES01"}


@pytest.fixture
def emulator(emulator: SlackEmulator) -> SlackEmulator:
    emulator.channels.update(
        {
            "C0CONNECT": {"name": "partners", "is_member": True, "is_ext_shared": True},
            "C0SALES01": {"name": "sales", "is_member": True},
        }
    )
    return emulator


@pytest.fixture
def chat(bot, engine, emulator):
    """Lines sent as the bot's own Slack side would run them: `chat(text, role, where)`."""
    with unit_of_work(engine) as session:
        create_customer(session, team_id="T1", name="Acme", email="buy@acme.example")
    settings = Settings(database_url="sqlite://", team_id="T1")
    served = workspaces(web_client(token=BOT_TOKEN, base_url=emulator.base_url), engine)
    backend = Backend(engine, settings, BotSlackSide(served, AlertRunner(engine, settings, served)))

    def send(text: str, role: str = "rep", where: dict = CONNECT):
        return dispatch(text, bot.actor(role=role, **where), backend)

    return send


def subscriptions(engine) -> list[AlertSubscription]:
    with unit_of_work(engine) as session:
        return list(session.exec(select(AlertSubscription)).all())


def test_a_digest_into_a_shared_channel_waits_for_an_admins_allowance(chat, engine):
    for role in ("rep", "admin"):  # even an admin allows the channel explicitly first
        refused = chat("alerts subscribe daily at 9:00", role).result
        assert isinstance(refused, Problem), role
        assert "shared with another organisation" in refused.message
        assert "`channels share <#C0CONNECT>`" in refused.message
    assert subscriptions(engine) == []
    assert isinstance(chat("channels share <#C0CONNECT|partners>", "rep").result, Problem)
    allowed = chat("channels share <#C0CONNECT|partners>", "admin").result
    assert allowed == ChannelSharing("C0CONNECT", allowed=True, changed=True, is_ext_shared=True)
    assert isinstance(chat("alerts subscribe daily at 9:00").result, AlertSubscribed)
    assert chat("alerts subscribe daily at 9:00", where=SALES).result.subscription.id == 2
    with unit_of_work(engine) as session:
        actions = session.exec(select(AuditEvent.action, AuditEvent.user_id)).all()
    assert ("share channel", "U0REP0001") in actions  # bot.actor's user, as admin


def test_alerts_test_into_a_channel_whose_allowance_was_taken_back_is_refused(chat, emulator):
    chat("channels share <#C0CONNECT|partners>", "admin")
    chat("alerts subscribe daily at 9:00")
    gone = chat("channels unshare <#C0CONNECT>", "admin").result
    assert gone == ChannelSharing("C0CONNECT", allowed=False, changed=True, is_ext_shared=True)
    refused = chat("alerts test").result
    assert isinstance(refused, Problem) and "channels share <#C0CONNECT>" in refused.message
    assert emulator.messages_in("C0CONNECT") == []


def test_a_shared_answer_there_goes_to_the_asker_only_until_allowed(chat):
    kept = chat("customer acme share")
    assert isinstance(kept.result, CustomerCard)  # the asker still gets their answer
    assert kept.share is False and "only you can see this" in (kept.not_shared or "")
    assert "channels share <#C0CONNECT>" in kept.not_shared
    elsewhere = chat("customer acme share", where=SALES)
    assert elsewhere.share is True and elsewhere.not_shared is None
    chat("channels share <#C0CONNECT|partners>", "admin")
    shared = chat("customer acme share")
    assert shared.share is True and shared.not_shared is None


def test_when_slack_cannot_say_whether_the_channel_is_shared_nothing_is_shared(chat, emulator):
    emulator.fail_next("conversations.info", error="fatal_error")
    kept = chat("customer acme share", where=SALES)
    assert kept.share is False and "could not check" in kept.not_shared
