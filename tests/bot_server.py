"""The bot served over real HTTP for tests, its Web API client pointed at the emulator."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from sqlalchemy import Engine

from bot.app import build_app
from bot.client import web_client
from bot.http import wsgi_app
from crm_core.settings import Settings
from tests.slack_emulator import SlackEmulator
from tests.slack_requests import SIGNING_SECRET, SlackSender

BOT_TOKEN = "xoxb-test-token"


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, *args) -> None:
        pass


@contextmanager
def running_bot(
    engine: Engine, emulator: SlackEmulator, **settings: object
) -> Iterator[SlackSender]:
    """Serve the bot for `engine`'s database; yield a sender of signed requests to it."""
    config = Settings(
        database_url=engine.url.render_as_string(hide_password=False), team_id="T1", **settings
    )
    client = web_client(token=BOT_TOKEN, base_url=emulator.base_url)
    app = build_app(config, client=client, signing_secret=SIGNING_SECRET)
    server = make_server(
        "127.0.0.1",
        0,
        wsgi_app(app, engine),
        server_class=_ThreadingServer,
        handler_class=_QuietHandler,
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield SlackSender(f"http://127.0.0.1:{server.server_port}/slack/events")
    finally:
        server.shutdown()
        server.server_close()


# What Slack refuses: messages without a text fallback, and blocks past Block Kit's limits.
MESSAGE_METHODS = ("chat.postMessage", "chat.postEphemeral", "chat.update", "response_url")
VIEW_METHODS = ("views.open", "views.publish", "views.update", "views.push")


def assert_slack_would_accept(emulator: SlackEmulator) -> None:
    """Every message and view the bot sent keeps Slack's rules."""
    for call in emulator.calls:
        if call.method in MESSAGE_METHODS:
            assert_message_within_limits(call.args, call.method)
        elif call.method in VIEW_METHODS:
            _within_limits(call.json("view")["blocks"], 100, call.method)


def assert_message_within_limits(message: dict, where: str = "message") -> None:
    """A message (or ack body) has a text fallback and blocks within Block Kit's limits."""
    assert str(message.get("text", "")).strip(), f"{where} without text"
    blocks = message.get("blocks") or []
    _within_limits(json.loads(blocks) if isinstance(blocks, str) else blocks, 50, where)


def _within_limits(blocks: list[dict], most: int, where: str) -> None:
    assert len(blocks) <= most, f"{where}: {len(blocks)} blocks"
    for block in blocks:
        text = (block.get("text") or {}).get("text", "")
        limit = 150 if block["type"] == "header" else 3000
        assert len(text) <= limit, f"{where}: a {block['type']} of {len(text)} characters"
        assert len(block.get("fields", [])) <= 10, f"{where}: more than 10 fields"
        assert len(block.get("elements", [])) <= 25, f"{where}: more than 25 elements"
