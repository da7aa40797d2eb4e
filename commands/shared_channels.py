"""Channels shared with another organisation (Slack Connect) get customer data only with an
admin's allowance: what `alerts subscribe`, `alerts test` and a shared answer ask first."""

from __future__ import annotations

from typing import TYPE_CHECKING

from commands.actor import Channel, SlackSide

if TYPE_CHECKING:
    from sqlmodel import Session


def closed(
    session: Session, slack: SlackSide | None, team_id: str, channel_id: str | None
) -> Channel | None:
    """The channel when it is shared with another organisation and no admin allowed customer
    data into it; None otherwise (and in the console, which has no Slack to ask)."""
    if slack is None or channel_id is None:
        return None
    channel = slack.channel(team_id, channel_id)
    return channel if channel is not None and is_closed(session, team_id, channel) else None


def is_closed(session: Session, team_id: str, channel: Channel) -> bool:
    """Whether Slack says the channel is shared and no admin allowed customer data there."""
    if not channel.is_ext_shared:
        return False
    from crm_core import shared_channels  # with the database layer

    return not shared_channels.is_allowed(session, team_id=team_id, channel_id=channel.id)


def needs_allowance(channel: Channel, what: str) -> str:
    """Why `what` cannot go to the channel, and the command that allows it."""
    return (
        f"<#{channel.id}> is shared with another organisation, so {what} only with an "
        f"admin's allowance: an admin types `channels share <#{channel.id}>` first "
        "(`channels unshare` takes it back)."
    )
