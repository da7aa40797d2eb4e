"""The bot's HTTP endpoint as a WSGI application: /slack/events for Slack, /healthz for probes.

Bolt verifies every request's signature (HMAC of the body with the signing secret, and a
timestamp at most five minutes old). Headers that are not even shaped like a signature or
a timestamp are refused here with 401 before Bolt sees them, instead of failing inside it.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Iterable

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from sqlalchemy import Engine, text

from bot.install_page import InstallPageLimiter
from bot.slack_ids import EVENTS_PATH, INSTALL_PATH

logger = logging.getLogger(__name__)
_SIGNATURE = re.compile(r"v0=[0-9a-f]{64}")
_TIMESTAMP = re.compile(r"[0-9]{1,12}")

StartResponse = Callable[..., object]


def wsgi_app(app: App, engine: Engine) -> Callable[[dict, StartResponse], Iterable[bytes]]:
    """The WSGI application serving `app` (and a health check against `engine`)."""
    bolt = SlackRequestHandler(app, path=EVENTS_PATH)
    install_page = InstallPageLimiter()

    def application(environ: dict, start_response: StartResponse) -> Iterable[bytes]:
        path, method = environ.get("PATH_INFO", ""), environ.get("REQUEST_METHOD", "GET")
        if path == "/healthz":
            return _health(engine, start_response)
        if path == EVENTS_PATH and method == "POST":
            problem = _malformed(environ)
            if problem:
                logger.warning("refused a request to %s: %s", path, problem)
                return _json(start_response, "401 Unauthorized", {"error": problem})
        if path == INSTALL_PATH and method == "GET":
            wait = install_page.retry_after(environ.get("REMOTE_ADDR", ""))
            if wait:
                return _json(
                    start_response,
                    "429 Too Many Requests",
                    {"error": f"too many install requests; try again in {wait} s"},
                    [("Retry-After", str(wait))],
                )
        return bolt(environ, start_response)

    return application


def _malformed(environ: dict) -> str | None:
    signature = environ.get("HTTP_X_SLACK_SIGNATURE", "")
    timestamp = environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP", "")
    if not _SIGNATURE.fullmatch(signature):
        return "missing or malformed X-Slack-Signature"
    if not _TIMESTAMP.fullmatch(timestamp):
        return "missing or malformed X-Slack-Request-Timestamp"
    return None


def _health(engine: Engine, start_response: StartResponse) -> Iterable[bytes]:
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as exc:  # the probe reports any failure to reach the database
        logger.error("health check failed: %s", type(exc).__name__)
        return _json(start_response, "503 Service Unavailable", {"ok": False})
    return _json(start_response, "200 OK", {"ok": True})


def _json(
    start_response: StartResponse, status: str, body: dict, headers: list | None = None
) -> Iterable[bytes]:
    data = json.dumps(body).encode()
    sized = [("Content-Type", "application/json"), ("Content-Length", str(len(data)))]
    start_response(status, [*sized, *(headers or [])])
    return [data]
