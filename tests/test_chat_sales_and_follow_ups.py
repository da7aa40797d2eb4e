"""purchase, nps, followups and done: through the console's path."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest
from sqlmodel import select

from commands.results import DidYouMean, FollowUpDone, FollowUpList, Problem
from crm_core.db import unit_of_work
from crm_core.models import Interaction, NpsResponse, Purchase
from tests.chat import NEW_YORK
from tests.rates import add_rates


def rows(engine, table):
    with unit_of_work(engine) as session:
        return list(session.exec(select(table)).all())


@pytest.fixture
def acme(bot):
    bot.exec("add customer Acme Corp")
    return bot


def test_purchase_with_symbol_and_date(acme, engine):
    add_rates(engine)
    out = acme.exec("purchase acme $1,250.50 on Mar 3")
    assert "Recorded a purchase of $1,250.50 by Acme Corp on 2026-03-03." in out
    [p] = rows(engine, Purchase)
    assert p.amount == Decimal("1250.50") and p.purchased_at == datetime(
        2026, 3, 3, 9, tzinfo=NEW_YORK
    )
    acme.exec("purchase Acme EUR 99")
    assert rows(engine, Purchase)[1].currency == "EUR"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("purchase acme lots", "'lots' is not an amount"),
        ("purchase acme", "name the customer and the amount"),
        ("purchase acme 12 on the 45th of never", "is not a date I can read"),
    ],
)
def test_bad_purchases_say_what_is_wrong_and_write_nothing(acme, engine, text, expected):
    out = acme.exec(text)
    assert isinstance(acme.result, Problem) and expected in out
    assert "Usage: purchase <customer> <amount> [on <date>]" in out
    assert rows(engine, Purchase) == []


def test_nps_with_comment(acme, engine):
    out = acme.exec("nps acme 4 - support was slow")
    assert "Recorded NPS 4 for Acme Corp (detractor): support was slow." in out
    [answer] = rows(engine, NpsResponse)
    assert (answer.score, answer.comment, answer.author_user_id) == (
        4,
        "support was slow",
        "U0REP0001",
    )


@pytest.mark.parametrize("score", ["11", "-1", "7.5", "ten"])
def test_nps_outside_0_to_10_is_refused(acme, engine, score):
    out = acme.exec(f"nps acme {score}")
    assert isinstance(acme.result, Problem) and "0" in out and "Usage: nps" in out
    assert rows(engine, NpsResponse) == []


def test_follow_ups_mine_someones_today_and_overdue(acme, engine):
    acme.exec("log call with acme: due today, follow up today 17:00")
    acme.exec("log call with acme: overdue one, follow up yesterday")
    acme.exec("log call with acme: next week, follow up in 1 week", user_id="U0OTHER01")
    mine = acme.exec("followups")
    assert isinstance(acme.result, FollowUpList)
    assert "Your open follow-ups (2)" in mine and "OVERDUE" in mine and "next week" not in mine
    theirs = acme.exec("followups <@U0OTHER01>")
    assert "Open follow-ups of U0OTHER01 (1)" in theirs and "next week" in theirs
    assert "due today" in acme.exec("followups today") and "overdue one" not in acme.exec(
        "followups today"
    )
    assert "overdue one" in acme.exec("followups overdue")
    assert "Nothing open" in acme.exec("followups", team_id="T2")


def test_done_by_id_and_by_customer(acme, engine):
    acme.exec("log call with acme: first, follow up tomorrow")
    acme.exec("log call with acme: second, follow up friday")
    first, second = sorted(i.id for i in rows(engine, Interaction))
    assert f"Follow-up #{first} with Acme Corp is done." in acme.exec(f"done #{first}")
    assert isinstance(acme.result, FollowUpDone)
    acme.exec("log call with acme: third, follow up monday")
    acme.exec("done acme")
    assert isinstance(acme.result, DidYouMean)  # two open: which one?
    assert {c.command for c in acme.result.choices} == {f"done #{second}", f"done #{second + 1}"}
    acme.exec(f"done {second}")
    assert "is done" in acme.exec("done acme")
    assert "has no open follow-ups" in acme.exec("done acme")
    assert "there is no follow-up #999" in acme.exec("done #999")
