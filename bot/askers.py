"""Who a Slack request says is asking, and from which organisation, read from Slack's payloads.

In a Slack Connect channel the event names the installing workspace in `authorizations`
(Bolt's `context.team_id`) and the user's own in `event.user_team`; an interaction names the
user's in `user.team_id`. On Enterprise Grid a user of another workspace of the same
organisation is not external: only a user whose team is neither the installing workspace nor
its organisation, in a channel shared outside it, is.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Asker:
    """The user of a request and the workspace whose CRM they reach."""

    team_id: str  # the workspace whose data the request reaches
    user_id: str
    home_team: str | None = None  # the workspace that installed the app, as the payload says
    enterprise_id: str | None = None  # ... and its Enterprise Grid organisation
    user_team: str | None = None  # the user's own workspace (or organisation, E…)
    user_enterprise: str | None = None
    # Whether the conversation is shared with another organisation; None when unsaid.
    ext_shared: bool | None = None

    def from_elsewhere(self) -> bool:
        """Whether the payload places the user in another organisation."""
        if not self.user_team or self.user_team in (self.team_id, self.home_team):
            return False
        if self.enterprise_id:
            if self.enterprise_id in (self.user_team, self.user_enterprise):
                return False
            if self.ext_shared is False:  # shared within the organisation only
                return False
        return True


def event_asker(body: dict, event: dict) -> Asker:
    """The user of an Events API event (app_mention, message, app_home_opened)."""
    installed = (body.get("authorizations") or [{}])[0]
    team_id = body.get("team_id") or event.get("team")
    return Asker(
        team_id=team_id,
        user_id=event["user"],
        home_team=installed.get("team_id") or team_id,
        enterprise_id=installed.get("enterprise_id") or body.get("enterprise_id"),
        user_team=event.get("user_team") or event.get("team"),
        ext_shared=body.get("is_ext_shared_channel"),
    )


def interaction_asker(body: dict) -> Asker:
    """The user of a button click, shortcut, options request or view submission."""
    user = body["user"]
    team = body.get("team") or {}
    view = body.get("view") or {}
    team_id = team.get("id") or user["team_id"]
    enterprise = body.get("enterprise") or {}
    return Asker(
        team_id=team_id,
        user_id=user["id"],
        home_team=view.get("app_installed_team_id") or team_id,
        enterprise_id=enterprise.get("id") if body.get("is_enterprise_install") else None,
        user_team=user.get("team_id"),
        user_enterprise=enterprise.get("id"),
    )


def command_asker(command: dict) -> Asker:
    """The user of a slash command: the payload names only their workspace, so whether they
    belong to another organisation is users.info's to say (bot.identity)."""
    return Asker(
        team_id=command["team_id"],
        user_id=command["user_id"],
        enterprise_id=command.get("enterprise_id") or None,
    )
