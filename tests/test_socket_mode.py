"""The bot in Socket Mode: Bolt's SocketModeHandler connects out to the emulator over a real
WebSocket, gets envelopes pushed, and acknowledges them, as it would with Slack."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from itertools import count

import pytest
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.socket_mode.builtin import SocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse
from sqlalchemy import Engine, select
from sqlmodel import Session
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect as websocket_connect

from bot.client import web_client
from bot.server import socket_mode_handler
from crm_core.customers import create_customer
from crm_core.db import unit_of_work
from crm_core.models import Interaction
from crm_core.settings import Settings
from tests.bot_server import BOT_TOKEN, assert_slack_would_accept
from tests.slack_emulator import SlackEmulator

APP_TOKEN = "xapp-1-A0APP0001-1-socket-mode-test"
_ids = count(1)


@pytest.fixture(autouse=True)
def no_leaked_threads() -> Iterator[None]:
    """Everything a test starts is stopped by its end: a leftover connection thread would keep
    reconnecting, and a non-daemon one would hang the suite at exit. Idle executor workers
    (Bolt's, the bot's command pool) are left: they end when the interpreter does."""
    before = set(threading.enumerate())
    yield
    deadline = time.monotonic() + 5
    while leftover := [
        thread
        for thread in threading.enumerate()
        if thread not in before
        and not thread.name.startswith(("ThreadPoolExecutor", "crm-command", "crm-listener"))
    ]:
        if time.monotonic() > deadline:
            pytest.fail(f"threads left running: {[thread.name for thread in leftover]}")
        time.sleep(0.05)


@pytest.fixture
def emulator() -> Iterator[SlackEmulator]:
    with SlackEmulator() as emulator:
        emulator.tokens.update({BOT_TOKEN, APP_TOKEN})
        yield emulator


@pytest.fixture
def handler(
    engine: Engine, emulator: SlackEmulator, monkeypatch: pytest.MonkeyPatch
) -> Iterator[SocketModeHandler]:
    """The real bot, connected over Socket Mode with the app-level token."""
    monkeypatch.delenv("SLACK_SIGNING_SECRET", raising=False)  # Socket Mode needs none
    with unit_of_work(engine) as session:
        create_customer(session, team_id="T1", name="Acme Corp", owner_user_id="U0REP0001")
    settings = Settings(database_url=engine.url.render_as_string(hide_password=False), team_id="T1")
    client = web_client(token=BOT_TOKEN, base_url=emulator.base_url)
    handler = socket_mode_handler(settings, client=client, app_token=APP_TOKEN)
    handler.connect()
    try:
        yield handler
    finally:
        handler.close()
    assert_slack_would_accept(emulator)


def slash_command(text: str, *, response_url: str) -> dict:
    """A slash command's payload, the fields Slack would have POSTed in HTTP mode."""
    return {
        "token": "legacy-verification-token",
        "team_id": "T1",
        "team_domain": "acme-sales",
        "channel_id": "C0SALES",
        "channel_name": "sales",
        "user_id": "U0REP0001",
        "user_name": "rep",
        "command": "/crm",
        "text": text,
        "api_app_id": "A0APP0001",
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": f"{next(_ids)}.1.abc",
    }


def mention(text: str, *, event_id: str, ts: str = "1700000123.000100") -> dict:
    """An app_mention in #sales, wrapped in its event_callback."""
    return {
        "token": "legacy-verification-token",
        "team_id": "T1",
        "api_app_id": "A0APP0001",
        "event": {
            "type": "app_mention",
            "user": "U0REP0001",
            "text": f"<@U0BOT0001> {text}",
            "ts": ts,
            "channel": "C0SALES",
            "event_ts": ts,
        },
        "type": "event_callback",
        "event_id": event_id,
        "event_time": int(time.time()),
        "authorizations": [
            {
                "team_id": "T1",
                "user_id": "U0BOT0001",
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
    }


def interactions(engine: Engine) -> list[Interaction]:
    with Session(engine) as session:
        return list(session.exec(select(Interaction).where(Interaction.team_id == "T1")).scalars())


# -- the emulator's side of the protocol, with slack_sdk's own Socket Mode client ----------


def test_a_socket_mode_client_is_greeted_and_its_acks_are_recorded(emulator):
    received: list[dict] = []

    def answer(client: SocketModeClient, request: SocketModeRequest) -> None:
        text = request.payload["text"]
        client.send_socket_mode_response(SocketModeResponse(request.envelope_id, {"text": text}))

    client = SocketModeClient(APP_TOKEN, web_client=WebClient(base_url=emulator.base_url))
    client.message_listeners.append(lambda _client, message, _raw: received.append(message))
    client.socket_mode_request_listeners.append(answer)
    try:
        client.connect()
        envelope_id = emulator.socket_send("slash_commands", {"text": "echo"})
        ack = emulator.wait_for_ack(envelope_id)
    finally:
        client.close()

    [opened] = emulator.calls_to("apps.connections.open")
    assert opened.token == APP_TOKEN
    assert opened.response["url"].startswith(emulator.socket_url + "?ticket=")
    assert received[0]["type"] == "hello"
    assert received[0]["connection_info"]["app_id"] == "A0APP0001"
    assert received[1] == {
        "envelope_id": envelope_id,
        "payload": {"text": "echo"},
        "type": "slash_commands",
        "accepts_response_payload": True,
    }
    assert ack.payload == {"text": "echo"} and ack.seconds is not None
    assert emulator.socket_acks == [ack]


def test_only_an_app_level_token_opens_a_connection(emulator):
    with pytest.raises(SlackApiError) as refused:
        WebClient(base_url=emulator.base_url).apps_connections_open(app_token=BOT_TOKEN)
    assert refused.value.response["error"] == "not_allowed_token_type"
    app_client = WebClient(token=APP_TOKEN, base_url=emulator.base_url)
    with pytest.raises(SlackApiError) as wrong_use:
        app_client.chat_postMessage(channel="C1", text="hi")
    assert wrong_use.value.response["error"] == "not_allowed_token_type"


def test_a_websocket_without_a_ticket_from_apps_connections_open_is_refused(emulator):
    with pytest.raises(InvalidStatus) as refused:
        websocket_connect(f"{emulator.socket_url}?ticket=made-up", open_timeout=5)
    assert refused.value.response.status_code == 401


# -- the bot ---------------------------------------------------------------------------------


def test_the_bot_connects_with_the_app_token(handler, emulator):
    assert handler.client.is_connected()
    [opened] = emulator.calls_to("apps.connections.open")
    assert opened.token == APP_TOKEN and opened.response["ok"]


def test_a_slash_command_is_answered_in_its_acknowledgement(handler, emulator):
    payload = slash_command("customer acme", response_url=emulator.response_url())
    envelope_id = emulator.socket_send("slash_commands", payload)

    ack = emulator.wait_for_ack(envelope_id, timeout=10)
    assert ack.seconds is not None and ack.seconds < 3.0  # Slack's acknowledgement window
    assert ack.payload is not None
    assert ack.payload["response_type"] == "ephemeral"
    assert "Acme Corp" in ack.payload["text"] + json.dumps(ack.payload["blocks"])
    assert emulator.calls_to("response_url") == []  # nothing left to say afterwards


def test_a_mention_is_acknowledged_and_answered_in_its_thread(handler, emulator):
    envelope_id = emulator.socket_send("events_api", mention("customer acme", event_id="Ev0SOCK1"))

    ack = emulator.wait_for_ack(envelope_id)
    assert ack.payload is None  # events are acknowledged empty; the answer is a message
    [posted] = emulator.wait_for("chat.postMessage", timeout=10)
    assert posted.token == BOT_TOKEN
    assert posted.args["channel"] == "C0SALES"
    assert posted.args["thread_ts"] == "1700000123.000100"
    assert "Acme Corp" in posted.args["text"] + json.dumps(posted.json("blocks"))


def test_a_redelivered_event_posts_once_and_logs_once(handler, emulator, engine):
    event = mention("log call with Acme: pricing questions", event_id="Ev0SOCK2")
    first = emulator.socket_send("events_api", event)
    emulator.wait_for_ack(first)
    emulator.wait_for("chat.postMessage", timeout=10)

    again = emulator.socket_send("events_api", event, retry_attempt=1, retry_reason="timeout")
    emulator.wait_for_ack(again)  # acknowledged all the same, or Slack would keep retrying
    time.sleep(1.0)  # time enough for a second answer to be posted, were one coming

    assert len(emulator.calls_to("chat.postMessage")) == 1
    [logged] = interactions(engine)
    assert logged.summary == "pricing questions" and logged.author_user_id == "U0REP0001"


def test_after_slack_asks_for_a_refresh_the_bot_reconnects_and_still_answers(handler, emulator):
    emulator.socket_disconnect("refresh_requested")
    emulator.wait_for_socket(count=2)
    assert len(emulator.calls_to("apps.connections.open")) == 2

    payload = slash_command("customer acme", response_url=emulator.response_url())
    ack = emulator.wait_for_ack(emulator.socket_send("slash_commands", payload), timeout=10)
    assert ack.payload is not None and "Acme Corp" in ack.payload["text"] + json.dumps(
        ack.payload["blocks"]
    )
