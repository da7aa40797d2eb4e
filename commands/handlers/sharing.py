"""channels share | unshare: an admin lets customer data into a Slack Connect channel."""

from __future__ import annotations

from commands import people
from commands.request import Request
from commands.results import ChannelSharing, Problem
from commands.verbs import ShareChannel
from crm_core import audit, shared_channels


def share_channel(command: ShareChannel, request: Request) -> ChannelSharing | Problem:
    """Set or take back the allowance (admins only: commands.permissions); audited."""
    actor = request.actor
    channel_id = people.channel(request, command.channel)
    channel = people.slack_channel(request, channel_id)
    if isinstance(channel, Problem):
        return channel
    is_ext_shared = channel.is_ext_shared if channel else None
    held = shared_channels.is_allowed(request.session, team_id=actor.team_id, channel_id=channel_id)
    if command.allowed:
        shared_channels.allow(
            request.session,
            team_id=actor.team_id,
            channel_id=channel_id,
            allowed_by=actor.user_id,
            now=actor.now,
        )
    else:
        shared_channels.disallow(request.session, team_id=actor.team_id, channel_id=channel_id)
    audit.record(
        request.session, team_id=actor.team_id, user_id=actor.user_id,
        action="share channel" if command.allowed else "unshare channel",
        target=f"channel {channel_id}", at=actor.now,
    )  # fmt: skip
    return ChannelSharing(channel_id, command.allowed, held != command.allowed, is_ext_shared)
