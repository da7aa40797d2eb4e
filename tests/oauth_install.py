"""Installing the app through the OAuth flow against the Slack emulator, for tests."""

from __future__ import annotations

import re
import urllib.error
import urllib.request

from cryptography.fernet import Fernet
from sqlalchemy import Engine

from bot.slack_ids import INSTALL_PATH, REDIRECT_PATH
from tests.slack_emulator import SlackEmulator
from tests.slack_requests import SlackSender

SECRET_KEY = Fernet.generate_key().decode()
SLACK_TABLES = ("slack_installations", "slack_bots", "slack_oauth_states")


def oauth_environment(monkeypatch, key: str = SECRET_KEY) -> None:
    """Multi-workspace mode: an OAuth app's id and secret, and a key sealing its tokens."""
    monkeypatch.setenv("SLACK_CLIENT_ID", "1111.2222")
    monkeypatch.setenv("SLACK_CLIENT_SECRET", "client-secret-for-tests")
    monkeypatch.setenv("CRM_SECRET_KEYS", key)


def drop_slack_tables(engine: Engine) -> None:
    """slack_sdk's tables are not the CRM's: the engine fixture leaves them on PostgreSQL."""
    with engine.begin() as connection:
        for table in SLACK_TABLES:
            connection.exec_driver_sql(f'DROP TABLE IF EXISTS "{table}"')


def get(url: str, cookie: str | None = None) -> tuple[int, str, str]:
    """The status and body of a GET, with the Set-Cookie header (the Retry-After on errors)."""
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode(), response.headers.get("Set-Cookie", "")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(), error.headers.get("Retry-After", "")


def install(bot: SlackSender, emulator: SlackEmulator, team_id: str) -> None:
    base = bot.url.removesuffix("/slack/events")
    status, page, cookie = get(base + INSTALL_PATH)
    assert status == 200 and "slack.com/oauth/v2/authorize" in page
    state = re.search(r"state=([\w-]+)", page)[1]
    emulator.grants[f"code-{team_id}"] = team_id
    status, page, _ = get(
        f"{base}{REDIRECT_PATH}?code=code-{team_id}&state={state}", cookie.split(";")[0]
    )
    assert status == 200, page
