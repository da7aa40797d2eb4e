"""A choice carries the kind of id it names: picking a customer never closes another's follow-up.

`done #N` is follow-up N, so a "did you mean" choice that rewrote `done fletcher` into
`done #<customer id>` closed whichever follow-up had that number.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlmodel import select

from commands.results import DidYouMean, FollowUpDone
from crm_core.db import open_engine, unit_of_work
from crm_core.models import Customer, Interaction


@pytest.fixture
def fletchers(bot):
    """Two Fletchers and Finley-Carter, each with one open follow-up, numbered so that
    Fletcher LLC's customer id is Finley-Carter's follow-up number."""
    for name in ("Fletcher LLC", "Fletcher PLC as new", "Finley-Carter"):
        bot.exec(f"add customer {name}")
    for name in ("Finley-Carter", "Fletcher PLC", "Fletcher LLC"):
        bot.exec(f"log call with {name}: catch up, follow up tomorrow")
    return bot


def open_follow_ups(engine) -> dict[str, bool]:
    with unit_of_work(engine) as session:
        rows = session.exec(
            select(Customer.name, Interaction.follow_up_done).join(
                Interaction, Interaction.customer_id == Customer.id
            )
        ).all()
    return {name: not done for name, done in rows}


def ids(engine) -> tuple[int, int]:
    with unit_of_work(engine) as session:
        llc = session.exec(select(Customer).where(Customer.name == "Fletcher LLC")).one()
        finley = session.exec(
            select(Interaction)
            .join(Customer, Interaction.customer_id == Customer.id)
            .where(Customer.name == "Finley-Carter")
        ).one()
    return llc.id, finley.id


def test_picking_a_customer_for_done_closes_that_customers_follow_up(fletchers, engine):
    llc_id, finley_follow_up = ids(engine)
    assert llc_id == finley_follow_up  # the collision that made the old choice close Finley's
    fletchers.exec("done fletcher")
    assert isinstance(fletchers.result, DidYouMean)
    [llc] = [c for c in fletchers.result.choices if c.label == "Fletcher LLC"]
    assert llc.command == f"done customer #{llc_id}"
    fletchers.exec(llc.command)
    assert isinstance(fletchers.result, FollowUpDone)
    assert fletchers.result.customer_name == "Fletcher LLC"
    assert open_follow_ups(engine) == {
        "Finley-Carter": True,
        "Fletcher PLC": True,
        "Fletcher LLC": False,
    }


def test_slack_did_you_mean_buttons_name_customers_by_kind(fletchers, engine):
    llc_id, _ = ids(engine)
    message = fletchers.slack("done fletcher")
    values = [
        element["value"]
        for block in message["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
    ]
    assert f"done customer #{llc_id}" in values
    assert all(value.startswith("done customer #") for value in values)


@pytest.mark.parametrize(
    "typed",
    [
        "customer fletcher",
        "log note with fletcher: hello",
        "purchase fletcher 10",
        "nps fletcher 9",
    ],
)
def test_every_customer_choice_names_a_customer(fletchers, engine, typed):
    llc_id, _ = ids(engine)
    fletchers.exec(typed)
    assert isinstance(fletchers.result, DidYouMean)
    [llc] = [c for c in fletchers.result.choices if c.label == "Fletcher LLC"]
    assert f"#{llc_id}" in llc.command
    fletchers.exec(llc.command)
    assert "Fletcher LLC" in fletchers.exec(llc.command)
    assert open_follow_ups(engine)["Finley-Carter"] is True


def test_done_takes_a_follow_up_number_in_every_spelling(fletchers, engine):
    _, finley_follow_up = ids(engine)
    for typed in (f"done follow-up #{finley_follow_up}", f"done #{finley_follow_up}"):
        fletchers.exec(typed)
        assert fletchers.result.customer_name == "Finley-Carter"
    assert open_follow_ups(engine)["Finley-Carter"] is False


def test_crm_chat_closes_the_picked_customers_follow_up(tmp_path):
    """The issue's own repro, through the real console: printf 'done fletcher\\n1\\n' | crm chat."""
    url = f"sqlite:///{tmp_path / 'crm.db'}"
    env = {
        **os.environ,
        "CRM_DATABASE_URL": url,
        "CRM_TEAM_ID": "TCHAT",
        "CRM_CONFIG": str(tmp_path / "app.yaml"),
        "CRM_HISTORY": str(tmp_path / "history"),
    }
    (tmp_path / "app.yaml").write_text("default_timezone: UTC\n")
    crm = Path(sys.executable).with_name("crm")

    def chat(lines: str) -> str:
        done = subprocess.run(
            [str(crm), "chat"], input=lines, env=env, capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    chat(
        "add customer Fletcher LLC\nadd customer Fletcher PLC as new\nadd customer Finley-Carter\n"
        "log call with Finley-Carter: catch up, follow up tomorrow\n"
        "log call with Fletcher PLC: catch up, follow up tomorrow\n"
        "log call with Fletcher LLC: catch up, follow up tomorrow\n"
    )
    out = chat("done fletcher\n1\n")
    assert "Fletcher LLC" in out.split("→")[-1] and "is done" in out
    assert "Finley-Carter is done" not in out
    engine = open_engine(url)
    with unit_of_work(engine) as session:
        rows = session.exec(
            select(Customer.name, Interaction.follow_up_done).join(
                Interaction, Interaction.customer_id == Customer.id
            )
        ).all()
    assert dict(rows) == {"Finley-Carter": False, "Fletcher PLC": False, "Fletcher LLC": True}
