"""A database URL's password is never printed: not in a settings error, not in a log."""

from __future__ import annotations

from click.testing import CliRunner

from commands.cli import cli
from crm_core.log_redaction import masked_url, redact

URL = "mysql://crm:Hunter2Secret@db/crm"


def test_a_settings_error_shows_the_url_without_its_password(tmp_path, monkeypatch):
    monkeypatch.setenv("CRM_DATABASE_URL", URL)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["ask", "customer acme"])
    assert result.exit_code == 1
    assert "Hunter2Secret" not in result.output
    assert "mysql://crm:***@db/crm" in result.output
    assert "only sqlite:/// and postgresql+psycopg:// databases are supported" in result.output


def test_a_url_that_does_not_parse_is_masked_too(tmp_path, monkeypatch):
    monkeypatch.setenv("CRM_DATABASE_URL", "postgresql+psycopg://crm:Hunter2Secret@db:port/crm")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["db", "upgrade"])
    assert result.exit_code == 1
    assert "Hunter2Secret" not in result.output and "crm:***@db:port" in result.output


def test_passwords_are_masked_in_urls_and_in_log_text():
    assert masked_url(URL) == "mysql://crm:***@db/crm"
    assert masked_url("postgresql://u:p@ss@h/db") == "postgresql://u:***@h/db"
    assert masked_url("sqlite:///crm.db") == "sqlite:///crm.db"
    logged = redact("connecting to postgresql+psycopg://crm:Hunter2Secret@db:5432/crm", [])
    assert "Hunter2Secret" not in logged and "crm:***@db:5432" in logged
