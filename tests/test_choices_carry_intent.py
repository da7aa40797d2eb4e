"""A choice carries the resolved intent, never a word that skips a step, and a user who may
not use a verb is offered no choices at all (issue 20, item 1: the planted erase)."""

from __future__ import annotations

import pytest
from sqlmodel import select

from commands.registry import choice
from commands.results import DidYouMean, ForgetConfirm, Problem
from crm_core.customers import create_customer
from crm_core.db import unit_of_work
from crm_core.models import Customer


@pytest.fixture
def globexes(bot):
    with unit_of_work(bot.engine) as session:
        for name in ("Globex East", "Globex West"):
            create_customer(session, team_id="T1", name=name, email=f"{name[7:]}@globex.example")
    return bot


def names(engine) -> list[str]:
    with unit_of_work(engine) as session:
        return sorted(session.exec(select(Customer.name)).all())


def test_a_rep_gets_only_an_admin_and_no_buttons(globexes):
    out = globexes.exec("forget globex confirm", role="rep", source="slack", channel_id="C1")
    result = globexes.result
    assert isinstance(result, Problem) and result.choices == []
    assert "only an admin can erase a customer's personal data" in out
    assert "Globex East" not in out and "Did you mean" not in out
    assert names(globexes.engine) == ["Globex East", "Globex West"]


def test_an_admins_choices_lead_to_the_preview_never_past_it(globexes):
    globexes.exec("forget globex confirm", role="admin")
    result = globexes.result
    assert isinstance(result, DidYouMean)
    assert [c.label for c in result.choices] == ["Globex East", "Globex West"]
    for offered in result.choices:
        assert "confirm" not in offered.command.split(), offered
        assert offered.confirm is None  # it only shows a preview: nothing to confirm yet
        globexes.exec(offered.command, role="admin")
        assert isinstance(globexes.result, ForgetConfirm), offered
        assert globexes.result.card.customer.name == offered.label
    assert names(globexes.engine) == ["Globex East", "Globex West"]  # nothing erased


@pytest.mark.parametrize(
    ("command", "asks"),
    [
        ("undo 3", "Take this write back?"),
        ("delete #12", "Delete this interaction?"),
        ("alerts unsubscribe 3", "Stop this alert subscription?"),
        ("forget #2 confirm", "Erase this customer's personal data?"),
        ("forget #2", None),  # a preview: nothing is erased by it
        ("customer #2", None),
        ("log call with acme: hi", None),
    ],
)
def test_a_choice_that_destroys_or_stops_carries_the_confirm_question(command, asks):
    made = choice("label", command)
    assert made.command == command
    if asks is None:
        assert made.confirm is None
    else:
        assert made.confirm and made.confirm.startswith(asks)


def test_a_misspelt_verb_offers_nothing_to_whom_it_is_refused(bot):
    bot.exec("log cal with acme: hi", role="guest")
    assert isinstance(bot.result, Problem) and bot.result.choices == []
    assert "guests of this workspace" in bot.result.message
    bot.exec("log cal with acme: hi", role="rep")
    assert [c.command for c in bot.result.choices] == ["log call with acme: hi"]
