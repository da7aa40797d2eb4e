"""The phrase table: every natural phrasing in it is read as the command it stands for, runs
through the chat as that command does, and no command as typed is ever taken for a phrase."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from commands import phrases
from commands.parser import _VERBS, parse
from commands.registry import VERBS
from commands.results import DidYouMean, NotFound, Problem
from crm_core.db import unit_of_work
from tests.analytics_data import CDNOW_END, load_cdnow
from tests.rates import add_rates

EXAMPLES = [example for phrase in phrases.PHRASES for example in phrase.examples]
README = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")


def test_the_table_covers_at_least_forty_phrasings():
    assert len(EXAMPLES) >= 40
    assert all(phrase.examples for phrase in phrases.PHRASES)


@pytest.mark.parametrize(("typed", "meant"), EXAMPLES, ids=[typed for typed, _ in EXAMPLES])
def test_a_phrasing_is_read_as_its_command(typed, meant):
    assert phrases.rephrase(typed, verbs=_VERBS) == meant
    assert parse(typed) == parse(meant)


def canonical_commands() -> list[str]:
    from_help = [example for spec in VERBS for example in spec.examples]
    from_readme = re.findall(r"`([a-z][^`]*)`", README.split("## Talking to the CRM")[1])
    return from_help + [text for text in from_readme if text.split()[0] in _VERBS]


@pytest.mark.parametrize("command", canonical_commands())
def test_no_command_as_typed_is_taken_for_a_phrase(command):
    assert phrases.rephrase(command, verbs=_VERBS) in (None, command)


@pytest.fixture
def workspace(bot, engine):
    """A workspace where each phrasing can do what it asks: scored customers, two named ones
    in segments, a follow-up, a teammate and a channel in the directory."""
    with unit_of_work(engine) as session:
        load_cdnow(session, customers=200)
    add_rates(engine)  # "Globex paid EUR 99": a euro order needs the team's rate
    bot.now = CDNOW_END
    for line in (
        "add customer Acme Corp segment Enterprise",
        "add customer Globex Corp segment SMB",
        "add contact Jane Roe to globex",
        "log call with acme: intro, follow up tomorrow",
        "log call with globex: intro, follow up tomorrow",
        "people add @jane U0JANE001 Jane Roe",
        "channels add #sales C0SALES01",
    ):
        bot.exec(line, role="admin")
    bot.exec("churn")  # scores for clv and churn
    return bot


@pytest.mark.parametrize(("typed", "meant"), EXAMPLES, ids=[typed for typed, _ in EXAMPLES])
def test_a_phrasing_does_what_its_command_does(workspace, typed, meant):
    said = workspace.exec(typed, role="admin")
    result = workspace.result
    assert not isinstance(result, Problem | NotFound | DidYouMean), said
    assert "I don't know" not in said


@pytest.mark.parametrize(
    ("typed", "suggested"),
    [
        ("log cal with acme: pricing", "log call with acme: pricing"),
        ("lgo call with acme", "log"),
        ("chrun", "churn"),
        ("folowups", "followups"),
    ],
)
def test_a_near_miss_gets_the_exact_command(workspace, typed, suggested):
    said = workspace.exec(typed)
    assert isinstance(workspace.result, Problem)
    assert any(suggested in choice.command for choice in workspace.result.choices), said
