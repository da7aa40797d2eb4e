"""Who a Slack user is to the CRM: author, owner, role, and the time zone dates are read in."""

from __future__ import annotations

import logging
import threading
import time
from datetime import tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from commands import Actor
from crm_core.settings import Settings

logger = logging.getLogger(__name__)
# A user's time zone is asked of Slack at most once an hour per process.
TTL_SECONDS = 3600


class TimeZones:
    """users.info time zones, cached; the default zone when Slack cannot say."""

    def __init__(self, client: WebClient, default: str) -> None:
        self._client = client
        self._default = ZoneInfo(default)
        self._known: dict[tuple[str, str], tuple[float, tzinfo]] = {}
        self._lock = threading.Lock()

    def of(self, team_id: str, user_id: str) -> tzinfo:
        key = (team_id, user_id)
        with self._lock:
            cached = self._known.get(key)
        if cached and time.monotonic() - cached[0] < TTL_SECONDS:
            return cached[1]
        zone = self._ask(user_id)
        with self._lock:
            self._known[key] = (time.monotonic(), zone)
        return zone

    def _ask(self, user_id: str) -> tzinfo:
        try:
            name = self._client.users_info(user=user_id)["user"].get("tz")
            return ZoneInfo(name) if name else self._default
        except (SlackApiError, ZoneInfoNotFoundError, KeyError) as exc:
            logger.warning("no time zone for %s (%s); using %s", user_id, exc, self._default)
            return self._default


def slack_actor(
    settings: Settings,
    zones: TimeZones,
    *,
    team_id: str,
    user_id: str,
    permalink: str | None = None,
    idempotency_key: str | None = None,
    wants_chart: bool = False,
    channel_id: str | None = None,
) -> Actor:
    """The Slack user as the author and owner of what they log, in their own time zone."""
    return Actor(
        team_id=team_id,
        user_id=user_id,
        tz=zones.of(team_id, user_id),
        role="admin" if user_id in settings.admins else "rep",
        source="slack",
        permalink=permalink,
        idempotency_key=idempotency_key,
        wants_chart=wants_chart,
        channel_id=channel_id,
    )


def team_of(body: dict) -> str:
    """The workspace an interaction payload comes from."""
    team = body.get("team") or {}
    return team.get("id") or body["user"]["team_id"]
