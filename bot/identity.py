"""Who a Slack user is to the CRM: author, owner, role, and the time zone dates are read in.

The role decides what the user may do (commands.permissions), so it is never older than a
minute: a demoted admin or a member turned guest loses their rights within that minute, or at
once when Slack sends `user_change`.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from datetime import tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from slack_sdk.errors import SlackApiError

from bot.askers import Asker
from bot.workspaces import Workspaces
from commands import Actor
from commands.permissions import Role
from crm_core.settings import Settings

logger = logging.getLogger(__name__)
# users.info is asked again once what it said is this old: the role must be fresh.
TTL_SECONDS = 60


@dataclass(frozen=True)
class Profile:
    """What users.info says of a user that the CRM uses."""

    tz: tzinfo
    admin: bool = False  # the workspace's admin or owner
    guest: bool = False  # a single- or multi-channel guest
    team_id: str | None = None  # the user's own workspace
    enterprise_id: str | None = None  # ... and its Enterprise Grid organisation


class SlackUsers:
    """What users.info says of a user, cached for a minute; and which organisation each
    workspace's token belongs to (auth.test), cached for good."""

    def __init__(self, workspaces: Workspaces, default: str) -> None:
        self._workspaces = workspaces
        self._default = ZoneInfo(default)
        self._known: dict[tuple[str, str], tuple[float, Profile]] = {}
        self._orgs: dict[str, tuple[str | None, str | None]] = {}
        self._lock = threading.Lock()

    def zone(self, team_id: str, user_id: str) -> tzinfo:
        return self.profile(team_id, user_id).tz

    def forget(self, user_id: str) -> None:
        """Drop what is known of a user (Slack said their profile changed)."""
        with self._lock:
            for key in [key for key in self._known if key[1] == user_id]:
                del self._known[key]

    def profile(self, team_id: str, user_id: str) -> Profile:
        key = (team_id, user_id)
        with self._lock:
            cached = self._known.get(key)
        if cached and time.monotonic() - cached[0] < TTL_SECONDS:
            return cached[1]
        profile = self._ask(team_id, user_id)
        if profile is None:  # Slack could not say: what it said last, else the least rights
            return cached[1] if cached else Profile(self._default, guest=True)
        with self._lock:
            self._known[key] = (time.monotonic(), profile)
        return profile

    def organisation(self, team_id: str) -> tuple[str | None, str | None]:
        """The workspace and Enterprise Grid organisation the app is installed in, as its
        token says (auth.test); (None, None) when Slack cannot say."""
        with self._lock:
            if team_id in self._orgs:
                return self._orgs[team_id]
        client = self._workspaces.client_for(team_id)
        if client is None:
            return None, None
        try:
            said = client.auth_test()
        except SlackApiError as exc:
            logger.warning("auth.test failed for %s: %s", team_id, exc.response.get("error"))
            return None, None
        org = (said.get("team_id"), said.get("enterprise_id"))
        with self._lock:
            self._orgs[team_id] = org
        return org

    def _ask(self, team_id: str, user_id: str) -> Profile | None:
        client = self._workspaces.client_for(team_id)
        try:
            if client is None:
                raise KeyError(f"workspace {team_id} has not installed the app")
            user = client.users_info(user=user_id)["user"]
        except (SlackApiError, KeyError) as exc:
            logger.warning("no profile for %s (%s); using %s", user_id, exc, self._default)
            return None
        return Profile(
            tz=self._zone(user.get("tz"), user_id),
            admin=bool(user.get("is_admin") or user.get("is_owner")),
            guest=bool(user.get("is_restricted") or user.get("is_ultra_restricted")),
            team_id=user.get("team_id"),
            enterprise_id=(user.get("enterprise_user") or {}).get("enterprise_id"),
        )

    def _zone(self, name: str | None, user_id: str) -> tzinfo:
        try:
            return ZoneInfo(name) if name else self._default
        except ZoneInfoNotFoundError:
            logger.warning("unknown time zone %r for %s; using %s", name, user_id, self._default)
            return self._default


def role_of(settings: Settings, users: SlackUsers, asker: Asker) -> Role:
    """external, guest, admin or rep, in that order: someone of another organisation is
    external whatever their own workspace makes them, and a guest is never an admin."""
    profile = users.profile(asker.team_id, asker.user_id)
    if asker.from_elsewhere() or _elsewhere(users, asker.team_id, profile):
        return "external"
    if profile.guest:
        return "guest"
    # Admins: those app.yaml names, and the workspace's own admins and owners.
    if asker.user_id in settings.admins or profile.admin:
        return "admin"
    return "rep"


def _elsewhere(users: SlackUsers, team_id: str, profile: Profile) -> bool:
    """Whether users.info places the user in another organisation than the app's token."""
    if profile.team_id is None:
        return False
    home_team, home_enterprise = users.organisation(team_id)
    if home_team is None or profile.team_id == home_team:
        return False
    return not (home_enterprise and profile.enterprise_id == home_enterprise)


def slack_actor(
    settings: Settings,
    users: SlackUsers,
    asker: Asker,
    *,
    permalink: str | None = None,
    idempotency_key: str | None = None,
    wants_chart: bool = False,
    channel_id: str | None = None,
) -> Actor:
    """The Slack user as the author and owner of what they log, in their own time zone."""
    return Actor(
        team_id=asker.team_id,
        user_id=asker.user_id,
        tz=users.zone(asker.team_id, asker.user_id),
        role=role_of(settings, users, asker),
        source="slack",
        permalink=permalink,
        idempotency_key=idempotency_key,
        wants_chart=wants_chart,
        channel_id=channel_id,
    )
