"""app.yaml and CRM_* variables: defaults, overrides, and one clear message for bad values."""

from __future__ import annotations

import pytest

from crm_core.db import make_engine
from crm_core.settings import SettingsError, load_settings


def write(tmp_path, text: str):
    path = tmp_path / "app.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_shipped_app_yaml_is_valid_and_defaults_to_sqlite(monkeypatch):
    monkeypatch.delenv("CRM_DATABASE_URL", raising=False)
    settings = load_settings("app.yaml")
    assert settings.database_url.startswith("sqlite:///")
    assert settings.analytics.horizon_months == 12
    assert settings.analytics.time_unit == "W"


def test_the_postgres_profile_is_valid_and_sizes_the_pool(monkeypatch):
    monkeypatch.delenv("CRM_DATABASE_URL", raising=False)
    settings = load_settings("app.postgres.yaml")
    assert settings.database_url.startswith("postgresql+psycopg://")
    assert (settings.database_pool_size, settings.database_max_overflow) == (4, 4)
    engine = make_engine(settings.database_url, pool_size=4, max_overflow=4)
    assert (engine.pool.size(), engine.pool._max_overflow) == (4, 4)


def test_environment_overrides_any_key_including_nested_ones(tmp_path, monkeypatch):
    path = write(
        tmp_path, "database_url: sqlite:///a.db\nanalytics:\n  horizon_months: 6\n  time_unit: D\n"
    )
    monkeypatch.setenv("CRM_DATABASE_URL", "sqlite:///b.db")
    monkeypatch.setenv("CRM_ANALYTICS__HORIZON_MONTHS", "24")
    settings = load_settings(path)
    assert settings.database_url == "sqlite:///b.db"
    assert settings.analytics.horizon_months == 24
    assert settings.analytics.time_unit == "D"  # untouched keys keep the file's value


def test_invalid_values_name_the_key_and_what_is_allowed(tmp_path):
    path = write(tmp_path, "analytics:\n  time_unit: Y\ndefault_timezone: Mars/Olympus\n")
    with pytest.raises(SettingsError) as caught:
        load_settings(path)
    message = str(caught.value)
    assert "analytics.time_unit" in message and "'D', 'W' or 'M'" in message
    assert "default_timezone" in message and "IANA" in message


def test_unknown_keys_list_the_allowed_ones(tmp_path):
    path = write(tmp_path, "analytics:\n  horizon: 3\n")
    with pytest.raises(
        SettingsError, match=r"analytics.horizon: unknown key; allowed here: .*horizon_months"
    ):
        load_settings(path)


def test_bad_environment_value_is_reported_like_a_bad_file_value(tmp_path, monkeypatch):
    monkeypatch.setenv("CRM_ANALYTICS__HORIZON_MONTHS", "twelve")
    with pytest.raises(SettingsError, match="analytics.horizon_months"):
        load_settings(write(tmp_path, ""))


@pytest.mark.parametrize(
    "text",
    [
        "slack_bot_token: xoxb-123\n",
        "slack:\n  signing_secret: abc\n",
        "database_url: postgresql+psycopg://crm:hunter2@db/crm\n",
    ],
)
def test_secrets_are_refused_in_the_file(tmp_path, text):
    with pytest.raises(SettingsError) as caught:
        load_settings(write(tmp_path, text))
    assert "environment" in str(caught.value) or "CRM_DATABASE_PASSWORD" in str(caught.value)
    assert "hunter2" not in str(caught.value)


def test_password_comes_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("CRM_DATABASE_PASSWORD", "s3cret")
    settings = load_settings(
        write(tmp_path, "database_url: postgresql+psycopg://crm@db:5432/crm\n")
    )
    assert settings.database_url == "postgresql+psycopg://crm@db:5432/crm"
    assert settings.database_url_with_password == "postgresql+psycopg://crm:s3cret@db:5432/crm"


def test_not_yaml_and_not_a_mapping_are_explained(tmp_path):
    with pytest.raises(SettingsError, match="not valid YAML"):
        load_settings(write(tmp_path, "analytics: [1, 2\n"))
    with pytest.raises(SettingsError, match="must be a mapping"):
        load_settings(write(tmp_path, "- a\n- b\n"))


def test_unsupported_database_is_refused(tmp_path):
    with pytest.raises(SettingsError, match="only sqlite"):
        load_settings(write(tmp_path, "database_url: mysql://root@localhost/crm\n"))
