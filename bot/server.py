"""Running the bot: HTTP behind gunicorn (several workers) or Socket Mode for a laptop.

Each gunicorn worker builds its own Bolt app, Web API client and database pool after the
fork; the database is what they share (event de-duplication included).
"""

from __future__ import annotations

import ctypes
import logging
import os
import platform
from typing import TYPE_CHECKING

from gunicorn.app.base import BaseApplication

from bot.app import build_app
from bot.client import web_client
from bot.http import wsgi_app
from commands.lazy_handlers import import_all as import_handlers
from crm_core import db, name_index
from crm_core.settings import Settings
from reports.chat import load_templates

if TYPE_CHECKING:
    from slack_bolt.adapter.socket_mode import SocketModeHandler
    from slack_sdk import WebClient

logger = logging.getLogger(__name__)
# glibc's mallopt parameters and the values the server runs with (see keep_freed_memory).
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
_TRIM_THRESHOLD = 128 * 1024 * 1024
_MMAP_THRESHOLD = 32 * 1024 * 1024  # glibc's largest


def keep_freed_memory() -> bool:
    """Have glibc keep freed memory for the next request instead of returning it to the OS.

    A request allocates and frees arrays of a few hundred KB (a score per customer name).
    With glibc's defaults each is a fresh mmap, or comes from a thread's arena that gives its
    free pages back after every request, so the next request faults them in again: ~1,000
    page faults and ~4 ms of system CPU a request, half of the server's CPU besides the work
    itself. Fixed thresholds keep those pages in the process. Forked gunicorn workers inherit
    the setting. Returns False where the C library is not glibc (nothing to change).
    """
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return False
    libc = ctypes.CDLL(None)
    return bool(
        libc.mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD)
        and libc.mallopt(_M_TRIM_THRESHOLD, _TRIM_THRESHOLD)
    )


def prepare_database(settings: Settings) -> None:
    """Create or migrate the schema once, in this process, before any worker is forked.

    Workers that each found a new database empty would race to create it; forked after
    this, they inherit the opened engine and find the schema current. Its connections are
    closed here: a worker opens its own.
    """
    db.engine_for(settings).dispose()


def make_wsgi(settings: Settings):
    """The WSGI application for these settings (tokens and secret from the environment)."""
    app = build_app(settings, client=web_client())
    engine = db.engine_for(settings)
    with db.unit_of_work(engine) as session:
        name_index.warm_up(session)
    load_templates()
    import_handlers()  # the registry imports them on first use; a worker wants them ready
    return wsgi_app(app, engine)


class _Gunicorn(BaseApplication):
    def __init__(self, settings: Settings, options: dict) -> None:
        self._settings, self._options = settings, options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self._options.items():
            self.cfg.set(key, value)

    def load(self):
        return make_wsgi(self._settings)


def serve_http(settings: Settings, *, host: str, port: int, workers: int, threads: int) -> None:
    """Serve /slack/events and /healthz until stopped."""
    options = {
        "bind": f"{host}:{port}",
        "workers": workers,
        "worker_class": "gthread",  # listeners answer after the ack on their own threads
        "threads": threads,
        "timeout": 60,
        "accesslog": "-",
        # Slack's request bodies are signed, not secret, but the log needs no query strings.
        "access_log_format": '%(h)s "%(m)s %(U)s" %(s)s %(L)ss',
    }
    keep_freed_memory()
    prepare_database(settings)
    _Gunicorn(settings, options).run()


def socket_mode_handler(
    settings: Settings, *, client: WebClient, app_token: str
) -> SocketModeHandler:
    """The bot's Socket Mode connection, built but not opened: `connect()` then `close()` it."""
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    return SocketModeHandler(build_app(settings, client=client, socket_mode=True), app_token)


def serve_socket_mode(settings: Settings) -> None:
    """Connect out to Slack over a WebSocket (SLACK_APP_TOKEN): no public URL needed."""
    handler = socket_mode_handler(
        settings, client=web_client(), app_token=os.environ["SLACK_APP_TOKEN"]
    )
    keep_freed_memory()
    handler.start()
