"""Keeping the public install page (GET /slack/install) from filling the database.

Anyone may open the page, and each opening stores an OAuth state row. So expired states are
deleted whenever a new one is issued, and each client address (and all of them together) may
open the page only so often; past that it gets 429 with Retry-After.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from datetime import UTC, datetime

from slack_sdk.oauth.sqlalchemy_utils import normalize_datetime_for_db
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore

PER_CLIENT = (10, 60.0)  # openings per client address, per this many seconds
ALL_CLIENTS = (300, 60.0)  # all addresses together, so spread-out clients are bounded too
MOST_CLIENTS_TRACKED = 10_000  # the least recently seen address is forgotten past this


class PurgingOAuthStateStore(SQLAlchemyOAuthStateStore):
    """slack_sdk's state store, deleting the expired states each time it issues one."""

    def issue(self, *args, **kwargs) -> str:
        now = normalize_datetime_for_db(datetime.now(UTC))
        with self.engine.begin() as connection:
            connection.execute(
                self.oauth_states.delete().where(self.oauth_states.c.expire_at <= now)
            )
        return super().issue(*args, **kwargs)


class _Window:
    """A fixed window: at most `most` hits per `seconds`, counted from its first hit."""

    __slots__ = ("started", "hits")

    def __init__(self, now: float) -> None:
        self.started, self.hits = now, 0


class InstallPageLimiter:
    """Per-address and overall limits on opening the install page, in this process."""

    def __init__(
        self,
        per_client: tuple[int, float] = PER_CLIENT,
        all_clients: tuple[int, float] = ALL_CLIENTS,
        clock=time.monotonic,
    ) -> None:
        self.per_client, self.all_clients, self.clock = per_client, all_clients, clock
        self._clients: OrderedDict[str, _Window] = OrderedDict()
        self._everyone = _Window(clock())
        self._lock = threading.Lock()

    def retry_after(self, address: str) -> int:
        """0 when `address` may open the page now (the opening is counted), else the seconds
        to wait."""
        with self._lock:
            now = self.clock()
            window = self._clients.pop(address, None) or _Window(now)
            self._clients[address] = window  # most recently seen last
            while len(self._clients) > MOST_CLIENTS_TRACKED:
                self._clients.popitem(last=False)
            wait = max(
                _wait(window, *self.per_client, now), _wait(self._everyone, *self.all_clients, now)
            )
            if wait:
                return wait
            window.hits += 1
            self._everyone.hits += 1
            return 0


def _wait(window: _Window, most: int, seconds: float, now: float) -> int:
    if now - window.started >= seconds:
        window.started, window.hits = now, 0
    if window.hits < most:
        return 0
    return max(1, math.ceil(window.started + seconds - now))
