"""Logging what happened earlier: "log call with acme yesterday: pricing", with articles and
fillers as people type them; a follow-up inside a summary; a follow-up already past."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlmodel import select

from commands.results import Logged, Problem
from crm_core.db import unit_of_work
from crm_core.models import Interaction
from tests.chat import NEW_YORK

# The bot's clock: Tuesday 10 March 2026, 15:00 in New York.
MONDAY_9 = datetime(2026, 3, 9, 9, 0, tzinfo=NEW_YORK)


@pytest.fixture
def acme(bot):
    bot.exec("add customer Acme Corp")
    return bot


def logged(engine) -> Interaction:
    with unit_of_work(engine) as session:
        return session.exec(select(Interaction).order_by(Interaction.id.desc())).first()


@pytest.mark.parametrize(
    ("line", "when", "summary"),
    [
        ("log call with acme yesterday: pricing", MONDAY_9, "pricing"),
        ("log a call with acme yesterday about pricing", MONDAY_9, "pricing"),
        ("log call yesterday with acme: pricing", MONDAY_9, "pricing"),
        ("log call with acme: yesterday, pricing", MONDAY_9, "pricing"),
        ("log call with acme on monday - pricing", MONDAY_9, "pricing"),
        ("log the call with acme monday re: pricing", MONDAY_9, "pricing"),
        ("log call with acme corp yesterday talked pricing", MONDAY_9, "talked pricing"),
        ("log call with acme yesterday", MONDAY_9, ""),
        ("log call with acme yesterday at 4pm: pricing", MONDAY_9.replace(hour=16), "pricing"),
        (
            "log an email to acme this morning: sent the quote",
            MONDAY_9.replace(day=10),
            "sent the quote",
        ),
        (
            "log meeting with acme 2 days ago: demo",
            datetime(2026, 3, 8, 9, 0, tzinfo=NEW_YORK),
            "demo",
        ),
        (
            "log call with acme 3 hours ago: pricing",
            datetime(2026, 3, 10, 12, 0, tzinfo=NEW_YORK),
            "pricing",
        ),
        (
            "log call with acme on dec 3: pricing",
            datetime(2025, 12, 3, 9, 0, tzinfo=NEW_YORK),
            "pricing",
        ),
        ("log call w/ acme: pricing", None, "pricing"),
        ("log call w/acme - pricing", None, "pricing"),
    ],
)
def test_when_it_happened_is_read_apart_from_the_customer(acme, engine, line, when, summary):
    out = acme.exec(line)
    assert isinstance(acme.result, Logged), out
    interaction = logged(engine)
    assert acme.result.customer.name == "Acme Corp"
    assert interaction.summary == summary
    assert interaction.occurred_at == (when or acme.now)
    if when:
        assert f"{when:%a %Y-%m-%d %H:%M}" in out  # the answer says when it was


def test_a_customer_named_like_a_day_keeps_its_name(bot, engine):
    bot.exec("add customer Globex")
    bot.exec("log call with globex sun: hello")  # Sunday, with Globex
    assert bot.result.customer.name == "Globex"
    assert logged(engine).occurred_at == datetime(2026, 3, 8, 9, 0, tzinfo=NEW_YORK)
    bot.exec("add customer Globex Sun")
    bot.exec("log call with globex sun: hello")  # now a customer of that very name
    assert bot.result.customer.name == "Globex Sun" and logged(engine).occurred_at == bot.now


@pytest.mark.parametrize(
    "line",
    [
        "log call with acme: today we agreed terms",
        "log call with acme: discussed the check in process",
        "log note with acme: monday is their busy day",
    ],
)
def test_ordinary_words_stay_in_the_summary(acme, engine, line):
    acme.exec(line)
    interaction = logged(engine)
    assert interaction.summary == line.split(": ", 1)[1]
    assert interaction.occurred_at == acme.now and interaction.follow_up_at is None


def test_the_future_is_not_logged_as_the_past(acme, engine):
    out = acme.exec("log call with acme tomorrow: pricing")
    assert isinstance(acme.result, Problem) and "is still to come" in out
    assert "follow up tomorrow" in out and logged(engine) is None
    out = acme.exec("log call with acme at 5pm: pricing")
    assert isinstance(acme.result, Problem) and "is still to come" in out


@pytest.mark.parametrize(
    ("line", "due"),
    [
        ("log call with acme: talked pricing, call back next week", datetime(2026, 3, 16, 9, 0)),
        (
            "log call with acme: will check in on friday about the quote",
            datetime(2026, 3, 13, 9, 0),
        ),
        ("log call with acme: circle back in 2 weeks", datetime(2026, 3, 24, 9, 0)),
    ],
)
def test_a_follow_up_in_the_summary_sets_one(acme, engine, line, due):
    acme.exec(line)
    interaction = logged(engine)
    assert interaction.summary == line.split(": ", 1)[1]  # the words stay
    assert interaction.follow_up_at == due.replace(tzinfo=NEW_YORK)


def test_a_follow_up_already_past_is_set_with_a_warning(acme, engine):
    out = acme.exec("log call with acme: pricing, follow up today 9am")
    assert isinstance(acme.result, Logged) and acme.result.follow_up_passed
    assert "has passed, so it shows as overdue" in out
    out = acme.exec("log call with acme: pricing, follow up next tue")
    assert "has passed" not in out


def test_a_misspelt_kind_gets_the_command_it_probably_meant(acme):
    out = acme.exec("log cal with acme: pricing")
    assert isinstance(acme.result, Problem)
    assert "did you mean `log call with acme: pricing`?" in out
    assert [c.command for c in acme.result.choices] == ["log call with acme: pricing"]


@pytest.mark.parametrize(
    "line",
    [
        "called simpson, rowe and odom yesterday, talked pricing",
        "log call with Simpson, Rowe and Odom yesterday, talked pricing",
    ],
)
def test_a_name_with_commas_is_read_whole(bot, engine, line):
    bot.exec("add customer Simpson, Rowe and Odom")
    bot.exec("add customer Simpson Inc as new")
    bot.exec(line)
    assert isinstance(bot.result, Logged) and bot.result.customer.name == "Simpson, Rowe and Odom"
    interaction = logged(engine)
    assert interaction.summary == "talked pricing" and interaction.occurred_at == MONDAY_9


def test_a_short_misspelt_name_before_a_comma_is_found(acme, engine):
    acme.exec("called acm, talked pricing")
    assert isinstance(acme.result, Logged) and logged(engine).summary == "talked pricing"
