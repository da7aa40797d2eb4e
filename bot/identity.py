"""Who a Slack user is to the CRM: author, owner, role, and the time zone dates are read in."""

from __future__ import annotations

import logging
import threading
import time
from datetime import tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from slack_sdk.errors import SlackApiError

from bot.workspaces import Workspaces
from commands import Actor
from crm_core.settings import Settings

logger = logging.getLogger(__name__)
# A user's profile (time zone, admin) is asked of Slack at most once an hour per process.
TTL_SECONDS = 3600


class SlackUsers:
    """What users.info says of a user, cached: the time zone (the default when Slack cannot
    say) and whether they administer the workspace (admin or owner)."""

    def __init__(self, workspaces: Workspaces, default: str) -> None:
        self._workspaces = workspaces
        self._default = ZoneInfo(default)
        self._known: dict[tuple[str, str], tuple[float, tzinfo, bool]] = {}
        self._lock = threading.Lock()

    def zone(self, team_id: str, user_id: str) -> tzinfo:
        return self._profile(team_id, user_id)[0]

    def is_admin(self, team_id: str, user_id: str) -> bool:
        return self._profile(team_id, user_id)[1]

    def _profile(self, team_id: str, user_id: str) -> tuple[tzinfo, bool]:
        key = (team_id, user_id)
        with self._lock:
            cached = self._known.get(key)
        if cached and time.monotonic() - cached[0] < TTL_SECONDS:
            return cached[1], cached[2]
        zone, admin = self._ask(team_id, user_id)
        with self._lock:
            self._known[key] = (time.monotonic(), zone, admin)
        return zone, admin

    def _ask(self, team_id: str, user_id: str) -> tuple[tzinfo, bool]:
        client = self._workspaces.client_for(team_id)
        try:
            if client is None:
                raise KeyError(f"workspace {team_id} has not installed the app")
            user = client.users_info(user=user_id)["user"]
        except (SlackApiError, KeyError) as exc:
            logger.warning("no profile for %s (%s); using %s", user_id, exc, self._default)
            return self._default, False
        admin = bool(user.get("is_admin") or user.get("is_owner"))
        try:
            return (ZoneInfo(user["tz"]) if user.get("tz") else self._default), admin
        except ZoneInfoNotFoundError:
            logger.warning(
                "unknown time zone %r for %s; using %s", user["tz"], user_id, self._default
            )
            return self._default, admin


def slack_actor(
    settings: Settings,
    users: SlackUsers,
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
        tz=users.zone(team_id, user_id),
        # Admins: those app.yaml names, and the workspace's own admins and owners.
        role="admin" if user_id in settings.admins or users.is_admin(team_id, user_id) else "rep",
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
