"""The console when things go wrong: a bad time zone."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from sqlmodel import select as select_rows

from commands.cli import cli
from crm_core.customers import create_customer
from crm_core.db import open_engine, unit_of_work
from crm_core.models import Interaction

TEAM = "TCLI"


@pytest.fixture
def workspace(tmp_path, monkeypatch):
    """A `crm` pointed at its own SQLite file through the environment, as an operator would."""
    url = f"sqlite:///{tmp_path / 'crm.db'}"
    env = {
        "CRM_DATABASE_URL": url,
        "CRM_TEAM_ID": TEAM,
        "CRM_CONFIG": str(tmp_path / "app.yaml"),
        "CRM_HISTORY": str(tmp_path / "history"),
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    (tmp_path / "app.yaml").write_text("default_timezone: UTC\n")
    runner = CliRunner()

    def crm(*args: str, input: str | None = None):
        return runner.invoke(cli, list(args), input=input, catch_exceptions=False)

    crm.url, crm.path, crm.env, crm.folder = url, tmp_path / "crm.db", env, tmp_path
    return crm


def add_customers(url: str, *names: str) -> None:
    with unit_of_work(open_engine(url)) as session:
        for name in names:
            create_customer(session, team_id=TEAM, name=name)


# --tz


@pytest.mark.parametrize("command", [("ask", "help"), ("chat",)])
def test_a_time_zone_that_does_not_exist_is_named_with_how_to_write_one(workspace, command):
    result = workspace(command[0], "--tz", "Mars/Base", *command[1:], input="quit\n")
    assert result.exit_code == 2
    assert "'Mars/Base' is not a time zone" in result.output
    assert "IANA name such as Europe/Paris" in result.output
    assert "Traceback" not in result.output


def test_a_real_time_zone_is_still_taken(workspace):
    add_customers(workspace.url, "Acme Corp")
    result = workspace("ask", "--tz", "Asia/Tokyo", "log call with acme: renewal, follow up tue")
    assert result.exit_code == 0 and "Logged" in result.output, result.output
    with unit_of_work(open_engine(workspace.url)) as session:
        [call] = session.exec(select_rows(Interaction)).all()
    assert call.follow_up_at.astimezone(ZoneInfo("Asia/Tokyo")).hour == 9
