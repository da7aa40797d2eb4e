"""The directory: people and channels by name, so the console reads `owner @jane` and `#sales`,
filled by hand or from Slack's users.list and conversations.list."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlmodel import select

from commands.cli import cli
from commands.results import (
    AlertSubscribed,
    DirectoryListing,
    DirectoryUpdated,
    FollowUpList,
    Problem,
)
from crm_core import directory
from crm_core.db import open_engine, unit_of_work
from crm_core.models import AlertSubscription, AuditEvent, Customer, DirectoryEntry
from tests.slack_emulator import TEAM_ID


@pytest.fixture
def jane(bot):
    bot.exec("people add @jane U0JANE001 Jane Roe", role="admin")
    assert isinstance(bot.result, DirectoryUpdated)
    return bot


def test_people_named_in_the_console_resolve_to_their_slack_ids(jane, engine):
    jane.exec("add customer Acme Corp owner @jane")
    jane.exec("add customer Globex owner Jane Roe")
    jane.exec("add customer Initech owner JANE")
    with unit_of_work(engine) as session:
        owners = {c.name: c.owner_user_id for c in session.exec(select(Customer))}
    assert owners == {"Acme Corp": "U0JANE001", "Globex": "U0JANE001", "Initech": "U0JANE001"}
    jane.exec("log call with acme: hello, follow up tomorrow", user_id="U0JANE001")
    jane.exec("followups @jane")
    assert isinstance(jane.result, FollowUpList) and jane.result.user_id == "U0JANE001"
    assert [f.customer_name for f in jane.result.items] == ["Acme Corp"]
    jane.exec("followups of Jane Roe")
    assert jane.result.user_id == "U0JANE001"
    assert "people add @bob" in jane.exec("add customer Hooli owner @bob")
    assert isinstance(jane.result, Problem)


def test_a_typed_user_id_and_a_slack_mention_need_no_directory(bot, engine):
    bot.exec("add customer Acme owner <@U0MENTION1|ann>")
    bot.exec("add customer Globex owner U0TYPED01")
    with unit_of_work(engine) as session:
        owners = sorted(c.owner_user_id for c in session.exec(select(Customer)))
    assert owners == ["U0MENTION1", "U0TYPED01"]


def test_channels_named_in_the_console(bot, engine):
    bot.exec("channels add #sales C0SALES01", role="admin")
    out = bot.exec("alerts subscribe #sales daily at 9:00", role="admin")
    assert isinstance(bot.result, AlertSubscribed), out
    assert bot.result.subscription.channel_id == "C0SALES01"
    assert "#sales" in out
    bot.exec("alerts subscribe #nowhere daily", role="admin")
    assert isinstance(bot.result, Problem) and "channels add #nowhere" in bot.exec(
        "alerts subscribe #nowhere", role="admin"
    )
    with unit_of_work(engine) as session:
        assert len(session.exec(select(AlertSubscription)).all()) == 1


def test_only_admins_change_the_directory_and_changes_are_audited(jane, engine):
    out = jane.exec("people add @bob U0BOB0001", role="rep")
    assert isinstance(jane.result, Problem) and "only an admin" in out
    jane.exec("people remove @jane", role="rep")
    assert isinstance(jane.result, Problem)
    jane.exec("people")
    assert isinstance(jane.result, DirectoryListing)
    assert [e.handle for e in jane.result.entries] == ["jane"]
    jane.exec("people remove @jane", role="admin")
    assert jane.result.removed
    with unit_of_work(engine) as session:
        assert session.exec(select(DirectoryEntry)).all() == []
        actions = [(e.action, e.allowed) for e in session.exec(select(AuditEvent))]
    assert actions.count(("directory", True)) == 2 and ("refused", False) in actions


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("people add jane", "give the name to type and the Slack member id"),
        ("people add @jane U0JANE001 " + "x" * 300, None),
        ("people add @ja ne@x U0JANE001", None),
        ("channels add #sales", "the Slack channel id"),
        ("people frobnicate", "is not something people does"),
        ("people add @<!channel> U0JANE001", "is not a name to type after @"),
    ],
)
def test_bad_directory_lines_say_what_to_type(bot, line, expected):
    out = bot.exec(line, role="admin")
    if expected is None:  # accepted, within the column's limits
        assert isinstance(bot.result, DirectoryUpdated), out
        assert len(bot.result.entry.name or "") <= 200
    else:
        assert isinstance(bot.result, Problem) and expected in out


def test_one_workspace_never_sees_anothers_directory(jane, engine):
    jane.exec("add customer Acme owner @jane", team_id="T2")
    assert isinstance(jane.result, Problem) and "I don't know who '@jane' is" in jane.exec(
        "add customer Acme owner @jane", team_id="T2"
    )


def test_sync_fills_the_directory_from_slack_and_keeps_typed_names(emulator, tmp_path, monkeypatch):
    for n in range(230):  # more than one page of users.list
        emulator.users[f"U0P{n:05d}"] = {
            "name": f"person{n}",
            "profile": {"real_name": f"Person {n}", "display_name": f"p{n}"},
        }
    emulator.users["U0GONE001"] = {"name": "gone", "deleted": True}
    emulator.users["U0ROBOT01"] = {"name": "robot", "is_bot": True}
    emulator.channels["C0SALES01"] = {"name": "sales"}
    emulator.channels["C0OLD0001"] = {"name": "old", "is_archived": True}
    url = f"sqlite:///{tmp_path / 'crm.db'}"
    monkeypatch.setenv("CRM_DATABASE_URL", url)
    monkeypatch.setenv("CRM_TEAM_ID", TEAM_ID)
    monkeypatch.setenv("CRM_CONFIG", str(tmp_path / "app.yaml"))
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test-token")
    monkeypatch.setenv("SLACK_API_URL", emulator.base_url)
    (tmp_path / "app.yaml").write_text("default_timezone: UTC\n")
    runner = CliRunner()
    typed = runner.invoke(cli, ["ask", "people add @sam U0SAM0001 Sam Typed"])
    assert typed.exit_code == 0, typed.output
    result = crm("directory", "sync")
    assert result.returncode == 0, result.stderr
    assert "230 people and 1 channels from Slack" in result.stdout
    assert len(emulator.calls_to("users.list")) == 2  # it followed the cursor
    engine = open_engine(url)
    with unit_of_work(engine) as session:
        assert directory.lookup(session, team_id=TEAM_ID, kind="user", text="@person7")[0].name == (
            "Person 7"
        )
        assert directory.lookup(session, team_id=TEAM_ID, kind="user", text="gone") == []
        assert directory.lookup(session, team_id=TEAM_ID, kind="user", text="slackbot") == []
        assert [e.handle for e in directory.entries(session, team_id=TEAM_ID, kind="channel")] == [
            "sales"
        ]
        assert directory.lookup(session, team_id=TEAM_ID, kind="user", text="@sam")
    del emulator.users["U0P00007"]  # left the workspace: the next sync forgets them
    again = crm("directory", "sync")
    assert "1 no longer in Slack removed" in again.stdout
    owner = runner.invoke(cli, ["ask", "add customer Acme owner @person8"])
    assert owner.exit_code == 0 and "Person 8" in owner.output


def test_sync_refuses_a_token_of_another_workspace(emulator, tmp_path, monkeypatch):
    monkeypatch.setenv("CRM_DATABASE_URL", f"sqlite:///{tmp_path / 'crm.db'}")
    monkeypatch.setenv("CRM_TEAM_ID", "T0OTHER01")
    monkeypatch.setenv("CRM_CONFIG", str(tmp_path / "app.yaml"))
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test-token")
    monkeypatch.setenv("SLACK_API_URL", emulator.base_url)
    (tmp_path / "app.yaml").write_text("default_timezone: UTC\n")
    result = crm("directory", "sync")
    assert result.returncode == 1 and f"set team_id: {TEAM_ID}" in result.stderr


def crm(*args: str) -> subprocess.CompletedProcess:
    """The installed `crm` command, with the environment the test set."""
    command = Path(sys.executable).with_name("crm")
    return subprocess.run(
        [str(command), *args], env=dict(os.environ), capture_output=True, text=True, timeout=60
    )


def test_an_import_reads_owners_and_authors_by_their_directory_names(jane, engine, tmp_path):
    from zoneinfo import ZoneInfo

    from crm_core.importing import ImportFailed, import_csv

    def load(kind: str, text: str):
        path = tmp_path / f"{kind}.csv"
        path.write_text(text)
        with unit_of_work(engine) as session:
            return import_csv(
                session, team_id="T1", kind=kind, path=path, tz=ZoneInfo("UTC"),
                default_currency="USD",
            )  # fmt: skip

    load("customers", "name,owner\nAcme,Jane Roe\nGlobex,@jane\nInitech,U0TYPED01\n")
    with unit_of_work(engine) as session:
        owners = {c.name: c.owner_user_id for c in session.exec(select(Customer))}
    assert owners == {"Acme": "U0JANE001", "Globex": "U0JANE001", "Initech": "U0TYPED01"}
    load("interactions", "customer,date,summary,author\nAcme,2026-03-01,called,jane\n")
    with pytest.raises(ImportFailed) as failed:
        load("customers", "name,owner\nHooli,Alice Smith\n")
    assert "people add @alice" in failed.value.rows[0].reason
