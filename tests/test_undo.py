"""undo, edit and delete: every chat write can be taken back by its author within the undo
window, saying what it reversed; interactions can be corrected; all of it audited."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import func, select

from commands.results import (
    InteractionDeleted,
    InteractionEdited,
    Problem,
    WriteUndone,
)
from crm_core.db import unit_of_work
from crm_core.models import (
    AlertSubscription,
    AuditEvent,
    Contact,
    Customer,
    Interaction,
    NpsResponse,
    Purchase,
    PurchaseSummary,
    UndoableWrite,
)
from crm_core.purchase_summaries import rebuild
from reports.button_values import read_button_value
from tests.bot_server import running_bot


def count(engine, table) -> int:
    with unit_of_work(engine) as session:
        return session.exec(select(func.count()).select_from(table)).one()


@pytest.fixture
def acme(bot):
    bot.exec("add customer Acme Corp")
    return bot


@pytest.mark.parametrize(
    ("line", "table", "echo"),
    [
        ("log call with acme: talked renewal", Interaction, "Undid your log: the call with Acme"),
        ("purchase acme 1200", Purchase, "Undid your purchase of $1,200.00 by Acme Corp"),
        ("purchase acme -50", Purchase, "Undid your refund of $50.00 by Acme Corp"),
        ("nps acme 9 great", NpsResponse, "Undid the NPS answer 9 for Acme Corp"),
        ("add contact Jane Roe to acme", Contact, "Undid adding Jane Roe as a contact at Acme"),
        ("add customer Globex", Customer, "Undid adding the customer Globex"),
    ],
)
def test_undo_takes_back_what_a_write_added_and_says_what(acme, engine, line, table, echo):
    before = count(engine, table)
    out = acme.exec(line)
    assert "Type `undo` to take it back" in out
    assert count(engine, table) == before + 1
    out = acme.exec("undo")
    assert isinstance(acme.result, WriteUndone) and echo in out, out
    assert count(engine, table) == before
    assert "nothing to undo" in acme.exec("undo") or isinstance(acme.result, WriteUndone)


def test_undo_reopens_a_follow_up_and_restores_an_edit_and_a_delete(acme, engine):
    acme.exec("log call with acme: talked renewal, follow up tomorrow")
    [interaction_id] = [i.id for i in rows(engine, Interaction)]
    acme.exec("done acme")
    assert rows(engine, Interaction)[0].follow_up_done
    assert "is open again" in acme.exec("undo")
    assert not rows(engine, Interaction)[0].follow_up_done
    acme.exec(f"edit #{interaction_id} talked pricing, not renewal")
    assert isinstance(acme.result, InteractionEdited) and acme.result.before == "talked renewal"
    assert rows(engine, Interaction)[0].summary == "talked pricing, not renewal"
    assert "reads again: talked renewal" in acme.exec("undo")
    assert rows(engine, Interaction)[0].summary == "talked renewal"
    kept = rows(engine, Interaction)[0]
    acme.exec(f"delete #{interaction_id}")
    assert isinstance(acme.result, InteractionDeleted) and rows(engine, Interaction) == []
    assert "is back" in acme.exec("undo")
    [back] = rows(engine, Interaction)
    assert (back.id, back.summary, back.occurred_at, back.follow_up_at, back.author_user_id) == (
        kept.id,
        kept.summary,
        kept.occurred_at,
        kept.follow_up_at,
        kept.author_user_id,
    )


def test_undo_stops_and_restarts_an_alert_subscription(acme, engine):
    acme.exec("alerts subscribe C0SALES01 daily", role="admin")
    assert "is stopped" in acme.exec("undo")
    [subscription] = rows(engine, AlertSubscription)
    assert not subscription.active
    acme.exec("alerts subscribe C0SALES01 daily", role="admin")
    acme.exec("alerts unsubscribe 2", role="admin")
    assert "posts again" in acme.exec("undo")
    assert [s.active for s in rows(engine, AlertSubscription)] == [False, True]


def test_undo_goes_back_one_write_at_a_time_and_only_within_the_window(acme, engine):
    acme.exec("log note with acme: one")
    acme.exec("log note with acme: two")
    assert "(#2: two)" in acme.exec("undo")
    assert "(#1: one)" in acme.exec("undo")
    assert "Acme Corp" in acme.exec("undo")  # adding the customer itself, the first write
    acme.exec("add customer Globex")
    acme.exec("log note with globex: later")
    acme.now += timedelta(minutes=61)
    out = acme.exec("undo")
    assert isinstance(acme.result, Problem) and "nothing to undo from the last 60 minutes" in out
    assert count(engine, Interaction) == 1


def test_a_write_can_be_undone_by_its_author_only(acme, engine):
    acme.exec("log call with acme: mine")
    [note] = rows(engine, UndoableWrite)[-1:]
    out = acme.exec(f"undo {note.id}", user_id="U0OTHER01")
    assert isinstance(acme.result, Problem) and "it is not yours" in out
    out = acme.exec("undo", user_id="U0OTHER01")
    assert "nothing to undo" in out and count(engine, Interaction) == 1
    acme.exec(f"undo {note.id}")
    assert count(engine, Interaction) == 0
    assert "undone already" in acme.exec(f"undo {note.id}")


def test_undoing_a_purchase_rebuilds_its_aggregates_and_outdates_the_scores(acme, engine):
    with unit_of_work(engine) as session:
        rebuild(session, team_id="T1", unit="W")  # the aggregates exist, as after a refresh
    acme.exec("purchase acme 100 on Mar 2")
    acme.exec("purchase acme 40")
    acme.exec("undo")
    [summary] = rows(engine, PurchaseSummary)
    assert summary.total_value == 100 and summary.periods == 1


def test_a_customer_with_records_since_is_not_undone_away(acme, engine):
    acme.exec("add customer Globex")
    acme.exec("log note with globex: hello", user_id="U0OTHER01")
    out = acme.exec("undo")
    assert isinstance(acme.result, Problem) and "Globex has 1 interaction since" in out
    assert count(engine, Customer) == 2


def test_edit_and_delete_are_for_the_author_or_an_admin_and_are_audited(acme, engine):
    acme.exec("log call with acme: talked renewal")
    out = acme.exec("edit #1 something else", user_id="U0OTHER01")
    assert isinstance(acme.result, Problem) and "only its author or an admin" in out
    acme.exec("delete #1", user_id="U0OTHER01")
    assert isinstance(acme.result, Problem) and count(engine, Interaction) == 1
    acme.exec("edit #1 corrected by the manager", user_id="U0BOSS001", role="admin")
    assert rows(engine, Interaction)[0].summary == "corrected by the manager"
    acme.exec("delete #1", user_id="U0BOSS001", role="admin")
    assert count(engine, Interaction) == 0
    audited = [(e.action, e.allowed, e.target) for e in rows(engine, AuditEvent)]
    assert ("refused", False, "interaction #1") in audited
    assert ("edit", True, "interaction #1") in audited
    assert ("delete", True, "interaction #1") in audited
    acme.exec("undo", user_id="U0BOSS001")
    assert ("undo", True, "interaction #1") in [
        (e.action, e.allowed, e.target) for e in rows(engine, AuditEvent)
    ]
    for line, expected in [
        ("edit #1", "say the new summary"),
        ("edit acme talked", "edit takes an interaction's number"),
        ("delete acme", "forget <customer>"),
        ("delete #999", "there is no interaction #999"),
        ("undo lots", "just type undo"),
    ]:
        assert expected in acme.exec(line), line
        assert isinstance(acme.result, Problem)


def test_an_erasure_drops_what_undo_kept_of_the_customer(acme, engine):
    acme.exec("log call with acme: secret plans")
    acme.exec("delete #1")
    with unit_of_work(engine) as session:
        [kept] = session.exec(select(UndoableWrite).where(UndoableWrite.action == "delete"))
        assert kept.before["summary"] == "secret plans"
    acme.exec("export acme", role="admin")
    assert acme.result.counts["kept_for_undo"] == 3
    acme.exec("forget acme confirm", role="admin")
    with unit_of_work(engine) as session:
        assert session.exec(select(UndoableWrite)).all() == []
    acme.exec("undo")
    assert count(engine, Interaction) == 0


def test_slack_confirmations_carry_an_undo_button_for_their_author_only(engine, emulator):
    with running_bot(engine, emulator) as slack:
        with unit_of_work(engine) as session:
            session.add(Customer(team_id="T1", name="Acme Corp", normalized_name="acme"))
        reply = slack.slash("log call with acme: talked renewal", response_url="http://x/")
        message = reply.json()
        [undo] = [
            element
            for block in message["blocks"]
            if block["type"] == "actions"
            for element in block["elements"]
            if element["text"]["text"] == "Undo"
        ]
        # Bound to its author (reports.button_values); anyone else's click does nothing.
        assert read_button_value(undo["value"]).command.startswith("undo ")
        slack.click(
            undo["action_id"],
            undo["value"],
            user="U0OTHER01",
            response_url=emulator.response_url("a"),
        )
        [refused] = emulator.wait_for("response_url")
        assert "offered to <@U0REP0001>" in refused.args["text"]
        assert count(engine, Interaction) == 1
        slack.click(undo["action_id"], undo["value"], response_url=emulator.response_url("b"))
        done = emulator.wait_for("response_url", count=2)[1]
        assert "Undid your log" in done.args["text"]
        assert count(engine, Interaction) == 0


def rows(engine, table) -> list:
    with unit_of_work(engine) as session:
        return list(session.exec(select(table).order_by(table.id)).all())


def test_a_retried_delivery_is_noted_for_undo_once(acme, engine):
    for _ in range(2):  # Slack delivers the same event again when the first ack was late
        acme.exec("log call with acme: once", idempotency_key="Ev1", source="slack")
        acme.exec("remind me to call acme friday", idempotency_key="Ev2", source="slack")
    assert count(engine, Interaction) == 2
    assert [w.action for w in rows(engine, UndoableWrite)] == ["add customer", "log", "remind"]
