"""Installed workspaces' tokens sealed at rest (CRM_SECRET_KEYS), only the current installation
kept, keys rotated with `crm secrets rotate`, installs audited: checked through the OAuth flow
against the emulator, reading the database directly."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from cryptography.fernet import Fernet
from sqlalchemy import Engine, MetaData, func, select

from bot.app import build_app
from bot.client import web_client
from commands.cli import cli
from crm_core.models import AuditEvent
from crm_core.sealed_tokens import MissingSecretKey
from crm_core.settings import Settings
from tests.bot_server import running_bot
from tests.oauth_install import SECRET_KEY, install
from tests.slack_emulator import SlackEmulator
from tests.slack_requests import SIGNING_SECRET, SlackSender


def every_stored_text(engine: Engine) -> str:
    """Every row of every table in the database, as one string."""
    metadata = MetaData()
    metadata.reflect(engine)
    with engine.connect() as connection:
        return "\n".join(
            repr(tuple(row)) for table in metadata.sorted_tables
            for row in connection.execute(select(table))
        )  # fmt: skip


def rows(engine: Engine, table: str) -> int:
    metadata = MetaData()
    metadata.reflect(engine, only=[table])
    with engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(metadata.tables[table])).scalar()


def answers_with_its_token(sender: SlackSender, emulator: SlackEmulator) -> None:
    emulator.reset()
    reply = SlackSender(sender.url, team_id="T2").slash(
        "customer nobody", response_url=emulator.response_url()
    )
    assert reply.status == 200
    asked = emulator.calls_to("users.info")
    assert asked and all(call.token in emulator.installed for call in asked)


def audited(engine: Engine) -> list[AuditEvent]:
    with engine.connect() as connection:
        found = connection.execute(
            select(AuditEvent.action, AuditEvent.user_id, AuditEvent.target, AuditEvent.detail)
            .where(AuditEvent.action.in_(["install", "reinstall"]))
            .order_by(AuditEvent.id)
        )
        return list(found)


def test_no_token_is_stored_in_clear_and_the_bot_still_answers(oauth, emulator):
    with running_bot(oauth, emulator) as sender:
        install(sender, emulator, "T2")
        stored = every_stored_text(oauth)
        assert "xox" not in stored and "hooks.slack.com" not in stored
        assert any(token.startswith("xoxb-t2-") for token in emulator.installed)
        answers_with_its_token(sender, emulator)


def test_a_reinstall_replaces_the_installation_and_both_are_audited(oauth, emulator):
    with running_bot(oauth, emulator) as sender:
        install(sender, emulator, "T2")
        install(sender, emulator, "T2")
        install(sender, emulator, "T3")
        assert rows(oauth, "slack_installations") == 2  # T2's newest and T3's
        assert rows(oauth, "slack_bots") == 2
        newest = [token for token in emulator.installed if token.startswith("xoxb-t2-")][-1]
        answers_with_its_token(sender, emulator)
        assert {c.token for c in emulator.calls_to("users.info")} == {newest}
    events = audited(oauth)
    assert [(e.action, e.user_id, e.target) for e in events] == [
        ("install", "U0INSTALLER", "workspace T2"),
        ("reinstall", "U0INSTALLER", "workspace T2"),
        ("install", "U0INSTALLER", "workspace T3"),
    ]
    assert events[0].detail["bot_scopes"] == ["commands", "chat:write"]
    assert events[0].detail["team_id"] == "T2" and events[0].detail["enterprise_id"] is None


def test_rotating_the_key_reseals_every_token(oauth, emulator, monkeypatch, tmp_path):
    with running_bot(oauth, emulator) as sender:
        install(sender, emulator, "T2")
    before = every_stored_text(oauth)
    new_key = Fernet.generate_key().decode()
    monkeypatch.setenv("CRM_SECRET_KEYS", f"{new_key},{SECRET_KEY}")
    monkeypatch.setenv("CRM_DATABASE_URL", oauth.url.render_as_string(hide_password=False))
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["secrets", "rotate"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "2 stored tokens sealed with the first key" in result.output
    assert every_stored_text(oauth) != before
    monkeypatch.setenv("CRM_SECRET_KEYS", new_key)  # the old key is gone
    with running_bot(oauth, emulator) as sender:
        answers_with_its_token(sender, emulator)
    assert "xox" not in every_stored_text(oauth)


def test_a_rotation_without_the_old_key_says_to_put_it_back(oauth, emulator, monkeypatch, tmp_path):
    with running_bot(oauth, emulator) as sender:
        install(sender, emulator, "T2")
    monkeypatch.setenv("CRM_SECRET_KEYS", Fernet.generate_key().decode())
    monkeypatch.setenv("CRM_DATABASE_URL", oauth.url.render_as_string(hide_password=False))
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["secrets", "rotate"])
    assert result.exit_code == 1
    assert "keep the old key in the list" in result.output


def test_multi_workspace_mode_refuses_to_start_without_a_key(oauth, emulator, monkeypatch):
    monkeypatch.delenv("CRM_SECRET_KEYS")
    settings = Settings(database_url=oauth.url.render_as_string(hide_password=False))
    client = web_client(token=None, base_url=emulator.base_url)
    with pytest.raises(MissingSecretKey) as refused:
        build_app(settings, client=client, signing_secret=SIGNING_SECRET)
    assert "CRM_SECRET_KEYS is not set" in str(refused.value)
    assert "Fernet.generate_key().decode()" in str(refused.value)


@pytest.mark.parametrize("command", [["serve", "--no-scheduler"], ["alerts", "run"]])
def test_crm_serve_and_alerts_run_refuse_without_a_key(oauth, monkeypatch, tmp_path, command):
    monkeypatch.delenv("CRM_SECRET_KEYS")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", SIGNING_SECRET)
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-single-workspace-token")
    monkeypatch.setenv("CRM_DATABASE_URL", oauth.url.render_as_string(hide_password=False))
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, command)
    assert result.exit_code == 1
    assert "CRM_SECRET_KEYS is not set" in result.output
    assert "Fernet.generate_key()" in result.output


def test_a_key_that_is_not_a_fernet_key_is_refused(oauth, emulator, monkeypatch):
    monkeypatch.setenv("CRM_SECRET_KEYS", "hunter2")
    settings = Settings(database_url=oauth.url.render_as_string(hide_password=False))
    with pytest.raises(MissingSecretKey, match="not a Fernet key"):
        build_app(settings, client=web_client(token=None, base_url=emulator.base_url),
                  signing_secret=SIGNING_SECRET)  # fmt: skip
