"""The permissions table (commands.permissions) is what every role gets: each verb run as
each role through commands.dispatch, refused exactly where the table says, a refusal
audited and writing nothing else; and the README's table is the table in code."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func
from sqlmodel import SQLModel, select

from commands import dispatch
from commands.actor import Backend
from commands.permissions import ACCESS, ROLES, markdown_table, may
from commands.registry import VERBS
from commands.results import Problem
from commands.roles import not_permitted
from crm_core.customers import create_customer
from crm_core.db import unit_of_work
from crm_core.models import AuditEvent
from crm_core.settings import SecuritySettings, Settings

README = Path(__file__).resolve().parents[1] / "README.md"
SETTINGS = {
    "closed": SecuritySettings(),
    "opened": SecuritySettings(guests="read", external_verbs=["customer", "find", "help"]),
}


def test_every_verb_has_an_access_and_every_access_a_verb():
    assert sorted(ACCESS) == sorted(spec.name for spec in VERBS)


def test_the_readme_holds_the_table_in_code():
    assert markdown_table() in README.read_text()


def row_counts(engine) -> dict[str, int]:
    with unit_of_work(engine) as session:
        return {
            table.name: session.exec(select(func.count()).select_from(table)).one()
            for table in SQLModel.metadata.sorted_tables
        }


def refusals(engine) -> list[AuditEvent]:
    with unit_of_work(engine) as session:
        return list(session.exec(select(AuditEvent).where(AuditEvent.action == "refused")).all())


@pytest.mark.parametrize("opened", list(SETTINGS))
def test_each_verb_as_each_role_is_refused_exactly_where_the_table_says(bot, engine, opened):
    with unit_of_work(engine) as session:
        create_customer(session, team_id="T1", name="Acme")
    settings = Settings(database_url="sqlite://", team_id="T1", security=SETTINGS[opened])
    backend = Backend(engine, settings)
    for spec in VERBS:
        for role in ROLES:
            actor = bot.actor(role=role)
            before, refused_before = row_counts(engine), len(refusals(engine))
            result = dispatch(spec.examples[0], actor, backend).result
            why = not_permitted(actor, spec.name, settings)
            said = f"{spec.examples[0]!r} as {role} ({opened})"
            if may(role, spec.name, settings):
                assert why is None, said
                assert not (isinstance(result, Problem) and "not open to you" in result.message)
                assert len(refusals(engine)) == refused_before, said
                continue
            assert isinstance(result, Problem) and result.message == why, said
            assert result.choices == [] and result.usage is None, said
            after = row_counts(engine)
            assert after.pop("audit_event") == before.pop("audit_event") + 1, said
            assert after == before, said  # the refusal wrote nothing but its audit entry
            [*_, event] = refusals(engine)
            assert event.detail == {"wanted": spec.name, "role": role}, said
            assert event.user_id == actor.user_id and not event.allowed, said


def test_the_refusals_say_why_in_each_role_words(bot):
    bot.exec("add customer Acme")
    out = bot.exec("purchase acme -1000", role="guest")
    assert "guests of this workspace can't use the CRM" in out and "Acme" not in out
    out = bot.exec("customer acme", role="external")
    assert "you are from another organisation" in out and "Acme" not in out
    out = bot.exec("forget acme", role="rep")
    assert "only an admin can erase a customer's personal data" in out
    assert "help" in bot.exec("help", role="external")  # help holds no customer data
