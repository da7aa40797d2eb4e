"""Filling the console's directory from Slack: users.list and conversations.list."""

from __future__ import annotations

from dataclasses import dataclass

from slack_sdk import WebClient
from sqlalchemy import Engine

from crm_core import directory
from crm_core.db import unit_of_work
from crm_core.directory import Listed

# Slack's own bot user is a member of every workspace, without `is_bot`.
SLACKBOT = "USLACKBOT"
PAGE = 200


@dataclass(frozen=True)
class SyncReport:
    people: int
    channels: int
    removed: int


def sync_directory(client: WebClient, engine: Engine, *, team_id: str) -> SyncReport:
    """Replace the workspace's synced people and channels with what Slack lists now: people
    who are not deleted and not bots, channels that are not archived (the private ones the
    bot is in). Names typed in the console stay."""
    people = [
        Listed(member["id"], member["name"], _full_name(member))
        for page in client.users_list(limit=PAGE)
        for member in page["members"]
        if not member.get("deleted") and not member.get("is_bot") and member["id"] != SLACKBOT
    ]
    channels = [
        Listed(channel["id"], channel["name"], None)
        for page in client.conversations_list(
            types="public_channel,private_channel", exclude_archived=True, limit=PAGE
        )
        for channel in page["channels"]
    ]
    with unit_of_work(engine) as session:
        kept_people, gone_people = directory.replace_from_slack(
            session, team_id=team_id, kind="user", listed=people
        )
        kept_channels, gone_channels = directory.replace_from_slack(
            session, team_id=team_id, kind="channel", listed=channels
        )
    return SyncReport(kept_people, kept_channels, gone_people + gone_channels)


def _full_name(member: dict) -> str | None:
    profile = member.get("profile") or {}
    return profile.get("real_name") or member.get("real_name") or profile.get("display_name")
