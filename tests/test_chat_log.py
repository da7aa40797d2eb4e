"""log call|meeting|email|note: the grammar's variants, follow-up dates, and idempotency."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlmodel import func, select

from commands.results import DidYouMean, Logged, Problem
from crm_core.db import unit_of_work
from crm_core.models import Interaction
from tests.chat import NEW_YORK


def interactions(engine, team="T1") -> list[Interaction]:
    with unit_of_work(engine) as session:
        return list(session.exec(select(Interaction).where(Interaction.team_id == team)).all())


@pytest.fixture
def acme(bot):
    bot.exec("add customer Acme Corp owner me")
    return bot


@pytest.mark.parametrize(
    ("text", "kind", "summary"),
    [
        ("log call with Acme: talked renewal", "call", "talked renewal"),
        ("log meeting acme - demo went well", "meeting", "demo went well"),
        ("note acme - prefers email", "note", "prefers email"),
        ("email with ACME Corp.: sent the quote", "email", "sent the quote"),
        ("log call with Acme Corp talked renewal", "call", "talked renewal"),
        ("log calls for acme — left a voicemail", "call", "left a voicemail"),
    ],
)
def test_natural_variants_log_the_right_thing(acme, engine, text, kind, summary):
    out = acme.exec(text)
    assert isinstance(acme.result, Logged), out
    [logged] = interactions(engine)
    assert (logged.kind, logged.summary, logged.author_user_id, logged.source) == (
        kind,
        summary,
        "U0REP0001",
        "console",
    )
    assert "Acme Corp" in out


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        ("tomorrow", datetime(2026, 3, 11, 9, 0, tzinfo=NEW_YORK)),
        ("next tue", datetime(2026, 3, 17, 9, 0, tzinfo=NEW_YORK)),
        ("in 2 weeks", datetime(2026, 3, 24, 9, 0, tzinfo=NEW_YORK)),
        ("friday 3pm", datetime(2026, 3, 13, 15, 0, tzinfo=NEW_YORK)),
        ("12/03", datetime(2026, 12, 3, 9, 0, tzinfo=NEW_YORK)),
        ("Dec 3", datetime(2026, 12, 3, 9, 0, tzinfo=NEW_YORK)),
        ("Mar 1", datetime(2027, 3, 1, 9, 0, tzinfo=NEW_YORK)),  # passed this year: next year
        ("today at 17:30", datetime(2026, 3, 10, 17, 30, tzinfo=NEW_YORK)),
    ],
)
def test_follow_up_dates_are_read_in_the_users_time_zone(acme, engine, when, expected):
    acme.exec(f"log call with Acme: talked renewal, follow up {when}")
    [logged] = interactions(engine)
    assert logged.summary == "talked renewal"
    assert logged.follow_up_at == expected


def test_follow_up_across_the_daylight_saving_change_keeps_local_nine(acme, engine):
    # New York moves its clocks on Sunday 8 March 2026; "in 2 weeks" from 1 March is after it.
    acme.now = datetime(2026, 3, 1, 12, 0, tzinfo=NEW_YORK)
    acme.exec("log call with Acme: x, follow up in 2 weeks")
    [logged] = interactions(engine)
    assert logged.follow_up_at.astimezone(NEW_YORK).hour == 9
    assert logged.follow_up_at.utcoffset().total_seconds() == 0  # stored in UTC


def test_a_date_that_cannot_be_read_says_so_and_logs_nothing(acme, engine):
    out = acme.exec("log call with Acme: talked, follow up someday maybe")
    assert isinstance(acme.result, Problem)
    assert "'someday maybe' is not a date I can read" in out and "Usage: log call" in out
    assert interactions(engine) == []


def test_the_same_delivery_logs_once(acme, engine):
    first = acme.exec("log call with Acme: talked", idempotency_key="Ev0001")
    again = acme.exec("log call with Acme: talked", idempotency_key="Ev0001")
    assert first.startswith("Logged") and again.startswith("Already logged")
    assert len(interactions(engine)) == 1


def test_an_unknown_kind_gets_the_kinds_and_the_usage(acme, engine):
    out = acme.exec("log lunch with Acme: burgers")
    assert "say what to log: call, meeting, email, note, other (not 'lunch')" in out
    assert "Usage: log call|meeting|email|note" in out
    assert interactions(engine) == []


def test_two_close_customers_are_never_guessed(bot, engine):
    bot.exec("add customer Acme Rockets")
    bot.exec("add customer Acme Robotics")
    out = bot.exec("log call with acme ro: hello")
    assert isinstance(bot.result, DidYouMean)
    commands = [c.command for c in bot.result.choices]
    assert any(c.startswith("log call with customer #") and c.endswith(": hello") for c in commands)
    assert "Did you mean" in out and interactions(engine) == []
    bot.exec(commands[0])  # picking a choice logs it
    assert len(interactions(engine)) == 1


def test_without_a_colon_an_unknown_name_asks_for_one(acme, engine):
    out = acme.exec("log call with Initech people talked about the renewal plans")
    assert "put a colon after it" in out and interactions(engine) == []


def test_logging_is_scoped_to_the_workspace(acme, engine):
    out = acme.exec("log call with Acme: hi", team_id="T2")
    assert 'No customer matches "Acme"' in out
    with unit_of_work(engine) as session:
        assert session.exec(select(func.count()).select_from(Interaction)).one() == 0
