"""`alerts unsubscribe N` and `alerts test N` follow subscribe's rule (issue 20, item 5): an
admin acts on any subscription, a rep only on one of the channel they type in; and one
channel cannot hold the same subscription twice (item 6)."""

from __future__ import annotations

import pytest
from sqlmodel import select

from commands.results import AlertSubscribed, AlertUnsubscribed, Problem
from crm_core.db import unit_of_work
from crm_core.models import AlertSubscription, AuditEvent

PRIVATE = {"source": "slack", "channel_id": "C0PRIVATE"}
SALES = {"source": "slack", "channel_id": "C0SALES01"}


@pytest.fixture
def private_subscription(bot) -> int:
    bot.exec("alerts subscribe daily at 9:00", role="admin", **PRIVATE)
    assert isinstance(bot.result, AlertSubscribed)
    return bot.result.subscription.id


def active(engine) -> list[int]:
    with unit_of_work(engine) as session:
        rows = session.exec(select(AlertSubscription).where(AlertSubscription.active)).all()
        return [s.id for s in rows]


def refused_actions(engine) -> list[str]:
    with unit_of_work(engine) as session:
        rows = session.exec(select(AuditEvent).where(AuditEvent.action == "refused")).all()
        return [e.detail["wanted"] for e in rows]


@pytest.mark.parametrize("verb", ["unsubscribe", "test"])
def test_a_rep_cannot_touch_another_channels_subscription(bot, private_subscription, verb):
    out = bot.exec(f"alerts {verb} {private_subscription}", role="rep", **SALES)
    assert isinstance(bot.result, Problem)
    assert "only an admin can" in out and "<#C0PRIVATE>" in out
    assert active(bot.engine) == [private_subscription]
    assert refused_actions(bot.engine) == [verb]


def test_a_rep_in_the_channel_and_an_admin_anywhere_may(bot, private_subscription):
    out = bot.exec(f"alerts test {private_subscription}", role="rep", **PRIVATE)
    assert "cannot reach" in out  # past the gate: the console has no Slack to post with
    bot.exec(f"alerts unsubscribe {private_subscription}", role="rep", **PRIVATE)
    assert isinstance(bot.result, AlertUnsubscribed)
    bot.exec("undo", role="rep", **PRIVATE)
    bot.exec(f"alerts unsubscribe {private_subscription}", role="admin", **SALES)
    assert isinstance(bot.result, AlertUnsubscribed)
    assert refused_actions(bot.engine) == []


def test_the_same_subscription_twice_is_refused_naming_the_first(bot, private_subscription):
    out = bot.exec("alerts subscribe daily at 9:00", role="admin", **PRIVATE)
    assert isinstance(bot.result, Problem)
    assert f"already gets that digest: alerts #{private_subscription}" in out
    assert f"alerts unsubscribe {private_subscription}" in out
    assert active(bot.engine) == [private_subscription]
    for other in ("alerts subscribe daily at 10:00", "alerts subscribe daily at 9:00 min value 5"):
        bot.exec(other, role="admin", **PRIVATE)
        assert isinstance(bot.result, AlertSubscribed), other  # another schedule or filter
    bot.exec("alerts subscribe daily at 9:00", role="admin", **SALES)
    assert isinstance(bot.result, AlertSubscribed)  # another channel
    assert len(active(bot.engine)) == 4
