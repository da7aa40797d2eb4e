"""Slack's token rotation: a workspace installed with rotating tokens is refreshed before its
token expires, by Bolt for requests and by Workspaces.client_for for what the CRM sends on its
own (the alert runner), the refreshed token stored sealed in place of the old one."""

from __future__ import annotations

from bot.client import web_client
from bot.workspaces import Workspaces, installation_store
from tests.bot_server import running_bot
from tests.oauth_install import install
from tests.slack_requests import SlackSender
from tests.test_token_sealing import audited, every_stored_text, rows

EXPIRES_IN = 60  # seconds: inside the two hours before expiry when tokens are refreshed
HALF_A_DAY = 12 * 3600  # how long Slack's rotating tokens last


def refreshes(emulator) -> list:
    return [c for c in emulator.calls_to("oauth.v2.access") if c.args.get("grant_type")]


def test_a_request_from_a_workspace_whose_token_expires_refreshes_it(oauth, emulator, monkeypatch):
    engine = oauth
    monkeypatch.setenv("SLACK_API_URL", emulator.base_url)  # where Bolt refreshes tokens
    emulator.rotating_seconds = EXPIRES_IN
    with running_bot(engine, emulator) as sender:
        install(sender, emulator, "T2")
        first = next(iter(emulator.installed))
        emulator.rotating_seconds = HALF_A_DAY  # what Slack's refreshed tokens last
        emulator.reset()
        reply = SlackSender(sender.url, team_id="T2").slash(
            "customer nobody", response_url=emulator.response_url()
        )
        assert reply.status == 200
    assert len(refreshes(emulator)) == 1
    newest = list(emulator.installed)[-1]
    assert newest != first and newest.startswith("xoxe.xoxb-t2-")
    assert {c.token for c in emulator.calls_to("users.info")} == {newest}
    bot = installation_store(engine).find_bot(enterprise_id=None, team_id="T2")
    assert bot.bot_token == newest and bot.bot_refresh_token in emulator.refresh_tokens
    assert rows(engine, "slack_installations") == 1 and rows(engine, "slack_bots") == 1
    assert "xox" not in every_stored_text(engine)
    assert [e.action for e in audited(engine)] == ["install"]  # a refresh is no reinstall


def test_the_alert_runners_client_refreshes_an_expiring_token(oauth, emulator):
    engine = oauth
    emulator.rotating_seconds = EXPIRES_IN
    with running_bot(engine, emulator) as sender:
        install(sender, emulator, "T2")
    first = next(iter(emulator.installed))
    emulator.rotating_seconds = HALF_A_DAY
    served = Workspaces(web_client(base_url=emulator.base_url), installation_store(engine))
    client = served.client_for("T2")
    assert client.token != first and client.token == list(emulator.installed)[-1]
    assert client.auth_test()["team_id"] == "T2"
    stored = installation_store(engine).find_bot(enterprise_id=None, team_id="T2")
    assert stored.bot_token == client.token
    assert served.client_for("T2").token == client.token  # fresh now: used as it is
    assert len(refreshes(emulator)) == 1
    assert rows(engine, "slack_bots") == 1


def test_a_token_far_from_expiry_is_not_refreshed(oauth, emulator):
    engine = oauth
    emulator.rotating_seconds = HALF_A_DAY
    with running_bot(engine, emulator) as sender:
        install(sender, emulator, "T2")
    served = Workspaces(web_client(base_url=emulator.base_url), installation_store(engine))
    assert served.client_for("T2").token == next(iter(emulator.installed))
    assert refreshes(emulator) == []
