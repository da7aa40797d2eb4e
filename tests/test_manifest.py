"""`crm manifest`: the Slack app manifest is valid for Slack's schema and matches the listeners."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from jsonschema import Draft7Validator, validators

from bot.cli import manifest as manifest_command
from bot.manifest import build_manifest, manifest_yaml
from bot.slack_ids import (
    BOT_EVENTS,
    BOT_SCOPES,
    EVENTS_PATH,
    LOG_GLOBAL_SHORTCUT,
    LOG_MESSAGE_SHORTCUT,
    REDIRECT_PATH,
)
from crm_core.settings import Settings, SlackSettings

# A copy of Slack's manifest schema (MIT, slackapi), so a clean clone can run this test.
SCHEMA = json.loads(
    (Path(__file__).parent / "data" / "slack_manifest.schema.json").read_text(encoding="utf-8")
)
URL = "https://crm.example.com"


@pytest.fixture(scope="module")
def validator():
    """The validator the schema's own $schema names; its $refs are all local (#/definitions)."""
    cls = validators.validator_for(SCHEMA)
    assert cls is Draft7Validator
    cls.check_schema(SCHEMA)
    return cls(SCHEMA, format_checker=cls.FORMAT_CHECKER)


def errors(validator, manifest):
    return [
        f"{'/'.join(map(str, error.absolute_path))}: {error.message}"
        for error in validator.iter_errors(manifest)
    ]


def urls(value):
    """Every string in the manifest that is a URL."""
    if isinstance(value, dict):
        return [url for item in value.values() for url in urls(item)]
    if isinstance(value, list):
        return [url for item in value for url in urls(item)]
    return [value] if isinstance(value, str) and "://" in value else []


def test_http_manifest_is_valid_and_sends_everything_to_the_events_path(validator):
    """Everything goes to /slack/events, except Slack's OAuth redirect after an install."""
    manifest = build_manifest(Settings(), public_url=URL + "/", socket_mode=False)
    assert errors(validator, manifest) == []
    request_url = URL + EVENTS_PATH
    assert manifest["features"]["slash_commands"][0]["url"] == request_url
    assert manifest["settings"]["event_subscriptions"]["request_url"] == request_url
    interactivity = manifest["settings"]["interactivity"]
    assert interactivity == {
        "is_enabled": True,
        "request_url": request_url,
        "message_menu_options_url": request_url,
    }
    assert manifest["settings"]["socket_mode_enabled"] is False
    assert manifest["oauth_config"]["redirect_urls"] == [URL + REDIRECT_PATH]
    assert set(urls(manifest)) == {request_url, URL + REDIRECT_PATH}


def test_socket_mode_manifest_is_valid_and_has_no_urls(validator):
    manifest = build_manifest(Settings(), public_url=None, socket_mode=True)
    assert errors(validator, manifest) == []
    assert manifest["settings"]["socket_mode_enabled"] is True
    assert manifest["settings"]["interactivity"] == {"is_enabled": True}
    assert urls(manifest) == []
    # A URL given anyway is not used: Slack ignores request URLs in Socket Mode.
    assert urls(build_manifest(Settings(), public_url=URL, socket_mode=True)) == []


@pytest.mark.parametrize("socket_mode", [False, True])
def test_manifest_matches_what_the_listeners_listen_for(socket_mode):
    manifest = build_manifest(
        Settings(slack=SlackSettings(command="/sales")), public_url=URL, socket_mode=socket_mode
    )
    assert [c["command"] for c in manifest["features"]["slash_commands"]] == ["/sales"]
    assert manifest["settings"]["event_subscriptions"]["bot_events"] == list(BOT_EVENTS)
    assert manifest["oauth_config"]["scopes"]["bot"] == list(BOT_SCOPES)
    shortcuts = {s["callback_id"]: s for s in manifest["features"]["shortcuts"]}
    assert shortcuts[LOG_MESSAGE_SHORTCUT]["type"] == "message"
    assert shortcuts[LOG_MESSAGE_SHORTCUT]["name"] == "Log to CRM"
    assert shortcuts[LOG_GLOBAL_SHORTCUT]["type"] == "global"
    assert manifest["features"]["app_home"]["messages_tab_enabled"] is True
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True


def test_yaml_keeps_slacks_key_order_and_round_trips():
    manifest = build_manifest(Settings(), public_url=URL, socket_mode=False)
    text = manifest_yaml(manifest)
    assert list(yaml.safe_load(text)) == [
        "_metadata",
        "display_information",
        "features",
        "oauth_config",
        "settings",
    ]
    assert yaml.safe_load(text) == manifest


@pytest.mark.parametrize("public_url", [None, ""])
def test_http_mode_without_a_url_says_to_pass_one(public_url):
    with pytest.raises(ValueError, match="--url https://your-host"):
        build_manifest(Settings(), public_url=public_url, socket_mode=False)


def test_a_url_without_a_scheme_is_refused():
    with pytest.raises(ValueError, match="https://your-host, got 'crm.example.com'"):
        build_manifest(Settings(), public_url="crm.example.com", socket_mode=False)


def test_the_crm_cli_registers_the_command():
    (entry,) = [e for e in entry_points(group="crm.cli") if e.name == "manifest"]
    assert entry.load() is manifest_command


def test_crm_manifest_prints_the_manifest_of_app_yaml(tmp_path, validator):
    """The installed `crm` console script, run as an operator would."""
    crm = Path(sys.executable).with_name("crm")
    assert crm.exists(), f"{crm} is missing: install the project (make install)"
    (tmp_path / "app.yaml").write_text("slack:\n  command: /sales\n")
    env = {k: v for k, v in os.environ.items() if k != "SLACK_APP_TOKEN" and k[:4] != "CRM_"}
    result = subprocess.run(
        [str(crm), "manifest", "--url", URL],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    manifest = yaml.safe_load(result.stdout)
    assert errors(validator, manifest) == []
    assert manifest["features"]["slash_commands"][0]["command"] == "/sales"
    assert manifest["settings"]["event_subscriptions"]["request_url"] == URL + EVENTS_PATH


@pytest.fixture
def crm_manifest(tmp_path, monkeypatch):
    """`crm manifest` in process, reading its own app.yaml."""
    monkeypatch.delenv("SLACK_APP_TOKEN", raising=False)
    monkeypatch.setenv("CRM_CONFIG", str(tmp_path / "app.yaml"))
    (tmp_path / "app.yaml").write_text("slack:\n  command: /crm\n")

    def run(*args: str):
        return CliRunner().invoke(manifest_command, list(args), catch_exceptions=False)

    run.config = tmp_path / "app.yaml"
    return run


def test_socket_mode_is_the_default_when_an_app_token_is_set(crm_manifest, monkeypatch):
    monkeypatch.setenv("SLACK_APP_TOKEN", "xapp-test")
    result = crm_manifest()
    assert result.exit_code == 0, result.output
    assert yaml.safe_load(result.stdout)["settings"]["socket_mode_enabled"] is True
    forced = crm_manifest("--http", "--url", URL)
    assert yaml.safe_load(forced.stdout)["settings"]["socket_mode_enabled"] is False


def test_http_is_the_default_without_an_app_token(crm_manifest):
    result = crm_manifest()
    assert result.exit_code == 2
    assert "--url https://your-host" in result.stderr
    assert yaml.safe_load(crm_manifest("--url", URL).stdout)["settings"]["socket_mode_enabled"] is (
        False
    )
    assert crm_manifest("--socket-mode").exit_code == 0


def test_bad_settings_are_reported_not_raised(crm_manifest):
    crm_manifest.config.write_text("slack:\n  command: crm\n")
    result = crm_manifest("--url", URL)
    assert result.exit_code == 1
    assert "slack.command" in result.stderr
    assert "Traceback" not in result.output


def test_the_uninstall_events_are_subscribed_so_uninstalling_reaches_the_app():
    manifest = build_manifest(Settings(), public_url=URL, socket_mode=False)
    events = manifest["settings"]["event_subscriptions"]["bot_events"]
    assert {"app_uninstalled", "tokens_revoked", "user_change"} <= set(events)


def test_history_scopes_only_when_app_yaml_turns_the_check_on(crm_manifest, validator):
    """Off (the default): no right to read channels. On: the manifest asks for it, valid."""
    off = yaml.safe_load(crm_manifest("--url", URL).stdout)
    assert not {"channels:history", "groups:history"} & set(off["oauth_config"]["scopes"]["bot"])
    crm_manifest.config.write_text(
        "slack:\n  command: /crm\nalerts:\n  check_history_after_timeout: true\n"
    )
    on = yaml.safe_load(crm_manifest("--url", URL).stdout)
    assert errors(validator, on) == []
    assert on["oauth_config"]["scopes"]["bot"] == list(BOT_SCOPES) + [
        "channels:history",
        "groups:history",
    ]
