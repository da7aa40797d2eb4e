"""Naming people and channels in chat: `me`, what Slack sends for a mention, or a name the
workspace's directory knows (the console has no Slack to turn `@jane` into a mention)."""

from __future__ import annotations

import re

from commands.actor import Channel
from commands.request import Request
from commands.results import Problem
from crm_core import directory
from crm_core.errors import UnknownName

ME = frozenset({"me", "@me", "my", "mine", "myself"})
# <@U024BE7LH>, <@U024BE7LH|jane>, @U024BE7LH or U024BE7LH.
_MENTION = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$|^@?([UW][A-Z0-9]{2,})$")
# <#C0123ABCD|sales> (a channel picked from Slack's list), #C0123ABCD or C0123ABCD.
_CHANNEL = re.compile(r"^<#([CG][A-Z0-9]+)(?:\|[^>]*)?>$|^#?([CG][A-Z0-9]{6,})$")


def mentioned_user(text: str) -> str | None:
    """U024BE7LH from a Slack mention or a typed user id; None for anything else."""
    match = _MENTION.match(text.strip())
    return (match.group(1) or match.group(2)) if match else None


def mentioned_channel(text: str) -> str | None:
    """C0123ABCD from a Slack channel link or a typed channel id; None for anything else."""
    match = _CHANNEL.match(text.strip())
    return (match.group(1) or match.group(2)) if match else None


def person(request: Request, text: str) -> str:
    """The Slack user id `text` names for the asker: me, a mention, or @jane / Jane Roe."""
    if text.strip().lower() in ME:
        return request.actor.user_id
    if found := mentioned_user(text):
        return found
    matches = directory.lookup(request.session, team_id=request.team_id, kind="user", text=text)
    if len(matches) == 1:
        return matches[0].slack_id
    if matches:
        raise UnknownName(
            f"{text.strip()!r} could be "
            + " or ".join(f"@{m.handle} ({m.name or m.slack_id})" for m in matches)
            + ": write the one you mean"
        )
    handle = directory.handle_of(text) or "jane"
    raise UnknownName(
        f"I don't know who {text.strip()!r} is. In Slack, pick them from the list that opens "
        "as you type @; in the console, add them once with "
        f"`people add @{handle} <their Slack member id> [full name]` (or run "
        "`crm directory sync` with a bot token), or write `me`"
    )


def channel(request: Request, text: str) -> str:
    """The channel id `text` names: a Slack channel link, an id, or #sales."""
    if found := mentioned_channel(text):
        return found
    matches = directory.lookup(request.session, team_id=request.team_id, kind="channel", text=text)
    if len(matches) == 1:
        return matches[0].slack_id
    handle = directory.handle_of(text) or "sales"
    raise UnknownName(
        f"I can't tell which channel {text.strip()!r} is. In Slack, pick it from the list that "
        "opens as you type #; in the console, add it once with "
        f"`channels add #{handle} <its channel id>` (the id is in the channel's details, "
        "like C0123ABCD), or run `crm directory sync` with a bot token"
    )


def slack_channel(request: Request, channel_id: str) -> Channel | Problem | None:
    """The channel as Slack shows it to the bot; None without Slack (the console), and a
    Problem saying what to do when Slack knows no such channel."""
    if request.slack is None:
        return None
    found = request.slack.channel(request.actor.team_id, channel_id)
    if found is None:
        return Problem(
            f"I can't find the channel {channel_id}: pick it from the list Slack shows as "
            "you type #, and check it still exists"
        )
    return found
