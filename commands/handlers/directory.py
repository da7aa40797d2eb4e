"""people and channels: the names the console reads `owner @jane` and `#sales` by."""

from __future__ import annotations

from commands import people as naming
from commands.request import Request
from commands.results import DirectoryListing, DirectoryUpdated, Problem
from commands.roles import admin_only
from commands.verbs import People
from crm_core import audit, directory


def people(command: People, request: Request) -> DirectoryListing | DirectoryUpdated | Problem:
    """List, add or remove the people (or, for Channels, the channels) known by name."""
    session, team_id, kind = request.session, request.team_id, command.kind
    if command.action == "list":
        entries = directory.entries(session, team_id=team_id, kind=kind)
        return DirectoryListing(kind, entries, more=len(entries) >= directory.LIST_LIMIT)
    what = "person" if kind == "user" else "channel"
    if refused := admin_only(request, "directory", f"change the directory's {what}s"):
        return refused
    if command.action == "add":
        entry = directory.set_entry(
            session,
            team_id=team_id,
            kind=kind,
            slack_id=command.slack_id or "",
            handle=command.handle or "",
            name=command.name,
        )
    else:
        find = naming.person if kind == "user" else naming.channel
        slack_id = find(request, command.handle or "")
        entry = directory.lookup_id(session, team_id=team_id, kind=kind, slack_id=slack_id)
        if entry is None:
            return Problem(f"{command.handle!r} is not in the directory; `{what}s` lists it")
        directory.remove_entry(session, team_id=team_id, kind=kind, slack_id=slack_id)
    audit.record(
        session, team_id=team_id, user_id=request.actor.user_id, action="directory",
        target=f"{command.action} {kind} {entry.slack_id}", at=request.actor.now,
    )  # fmt: skip
    return DirectoryUpdated(kind, entry, removed=command.action == "remove")
