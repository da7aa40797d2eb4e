"""The `crm` command line, driven as an operator would: import, demo, db upgrade, bad settings."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlmodel import func, select

from commands.cli import cli
from crm_core.db import open_engine, unit_of_work
from crm_core.models import Customer, Interaction, NpsResponse, Purchase


@pytest.fixture
def console(tmp_path, monkeypatch):
    """A `crm` pointed at its own SQLite file through the environment, as an operator would."""
    url = f"sqlite:///{tmp_path / 'crm.db'}"
    monkeypatch.setenv("CRM_DATABASE_URL", url)
    monkeypatch.setenv("CRM_TEAM_ID", "TCLI")
    monkeypatch.setenv("CRM_CONFIG", str(tmp_path / "app.yaml"))
    (tmp_path / "app.yaml").write_text("default_timezone: UTC\n")
    runner = CliRunner()

    def crm(*args: str):
        return runner.invoke(cli, list(args), catch_exceptions=False)

    crm.url = url
    return crm


def count(url, table, team="TCLI"):
    with unit_of_work(open_engine(url)) as session:
        return session.exec(
            select(func.count()).select_from(table).where(table.team_id == team)
        ).one()


def test_import_reports_what_it_added_and_created(console, tmp_path):
    path = tmp_path / "orders.csv"
    path.write_text("customer_id,date,amount\nA,2024-01-01,$5\nB,2024-01-02,7\n")
    result = console("import", "purchases", str(path))
    assert result.exit_code == 0, result.output
    assert "2 rows, 2 added" in result.output
    assert "Created 2 customers the file named but the CRM did not know: A, B" in result.output
    again = console("import", "purchases", str(path))
    assert "0 added, 2 already there (nothing changed)" in again.output
    assert count(console.url, Purchase) == 2


def test_a_failed_import_exits_nonzero_lists_the_row_and_writes_nothing(console, tmp_path):
    path = tmp_path / "orders.csv"
    path.write_text("customer_id,date,amount\nA,2024-01-01,5\nB,yesterday-ish,7\n")
    result = console("import", "purchases", str(path))
    assert result.exit_code == 1
    assert "line 3, column 'date'" in result.output and "nothing was imported" in result.output
    assert count(console.url, Purchase) == 0 and count(console.url, Customer) == 0


def test_an_unknown_import_kind_is_refused_with_the_choices(console, tmp_path):
    result = console("import", "orders", str(tmp_path / "x.csv"))
    assert result.exit_code == 2 and "customers" in result.output and "purchases" in result.output


def test_invalid_settings_stop_start_up_with_one_clear_message(console, tmp_path):
    (tmp_path / "app.yaml").write_text("analytics:\n  horizon_months: -3\n")
    result = console("db", "upgrade")
    assert result.exit_code == 1
    assert (
        "analytics.horizon_months" in result.output
        and "greater than or equal to 1" in result.output
    )
    assert "Traceback" not in result.output


def test_db_upgrade_creates_the_schema(console):
    result = console("db", "upgrade")
    assert result.exit_code == 0 and "newest schema" in result.output


def test_demo_loads_cdnow_through_the_import_and_prints_a_tour(console):
    result = console("demo")
    assert result.exit_code == 0, result.output
    out = result.output
    assert "23,570 customers" in out and "69,659 purchases" in out
    assert "Top customers by revenue:" in out and "Follow-ups due today:" in out
    assert count(console.url, Customer) == 23_570 and count(console.url, Purchase) == 69_659
    assert count(console.url, Interaction) > 1_000 and count(console.url, NpsResponse) > 1_000
    again = console("demo")
    assert "already loaded" in again.output and count(console.url, Purchase) == 69_659
    people = console("ask", "people")
    assert "@ben  U0DEMOBEN  Ben Okafor" in people.output
    followups = console("ask", "followups @ben")
    assert followups.exit_code == 0 and "(Ben Okafor)" in followups.output
    assert "U0DEMOBEN" not in followups.output  # people by name, not by id


@pytest.mark.parametrize("verb", ["forget", "custmer"])
def test_external_verbs_naming_a_write_or_unknown_verb_stop_start_up(console, monkeypatch, verb):
    monkeypatch.setenv("CRM_SECURITY__EXTERNAL_VERBS", f'["customer", "{verb}"]')
    for args in (["ask", "clv"], ["manifest", "--socket-mode"]):  # the console's, the bot's
        result = CliRunner().invoke(cli, args)
        assert result.exit_code == 1, result.output
        assert f"security.external_verbs: '{verb}' is not a read-only verb" in result.output
        assert "'customer'" not in result.output and "customer, find" in result.output
