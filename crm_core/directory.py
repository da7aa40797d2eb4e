"""The workspace's people and channels by name: `owner @jane` and `#sales` where Slack cannot
say who or which (the console), and names instead of ids wherever a person is shown."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import func, or_
from sqlmodel import Session, col, delete, select

from crm_core.errors import InvalidInput
from crm_core.models import DirectoryEntry

Kind = Literal["user", "channel"]
USER_ID = re.compile(r"[UW][A-Z0-9]{2,31}")
CHANNEL_ID = re.compile(r"[CG][A-Z0-9]{2,31}")
# What follows @ or # in Slack: no spaces, at most 80 characters (channel names may be Unicode).
_HANDLE = re.compile(r"[^\s@#<>|]{1,80}")
# Slack lets a workspace hold thousands of people; a listing shows this many.
LIST_LIMIT = 200


@dataclass(frozen=True)
class Listed:
    """Someone or a channel as Slack or the console named them."""

    slack_id: str
    handle: str
    name: str | None


def handle_of(text: str) -> str:
    """ "@Jane.Roe" -> "jane.roe", "#Sales" -> "sales": how names are kept and looked up."""
    return text.strip().lstrip("@#").strip().lower()


def set_entry(
    session: Session,
    *,
    team_id: str,
    kind: Kind,
    slack_id: str,
    handle: str,
    name: str | None = None,
    source: str = "console",
) -> DirectoryEntry:
    """Add a person or channel, or rename one (the Slack id is who it is)."""
    slack_id = slack_id.strip().upper()
    pattern, example = (USER_ID, "U024BE7LH") if kind == "user" else (CHANNEL_ID, "C0123ABCD")
    if not pattern.fullmatch(slack_id):
        raise InvalidInput(
            f"{slack_id!r} is not a Slack {kind} id; it looks like {example} "
            f"(in Slack: the {'profile' if kind == 'user' else 'channel details'}, "
            f"⋮ → Copy {'member' if kind == 'user' else 'channel'} ID)"
        )
    handle = handle_of(handle)
    if not _HANDLE.fullmatch(handle):
        raise InvalidInput(
            f"{handle!r} is not a name to type after {'@' if kind == 'user' else '#'}: "
            "one word of at most 80 characters, e.g. jane or sales-team"
        )
    entry = session.get(DirectoryEntry, (team_id, kind, slack_id))
    if entry is None:
        entry = DirectoryEntry(team_id=team_id, kind=kind, slack_id=slack_id, handle=handle)
    entry.handle, entry.source = handle, source
    entry.name = " ".join((name or "").split())[:200] or None
    session.add(entry)
    session.flush()
    return entry


def lookup_id(
    session: Session, *, team_id: str, kind: Kind, slack_id: str
) -> DirectoryEntry | None:
    """The entry of this Slack id, if the directory has one."""
    return session.get(DirectoryEntry, (team_id, kind, slack_id))


def remove_entry(session: Session, *, team_id: str, kind: Kind, slack_id: str) -> bool:
    """Forget a person or channel; False when there was none."""
    entry = lookup_id(session, team_id=team_id, kind=kind, slack_id=slack_id)
    if entry is None:
        return False
    session.delete(entry)
    session.flush()
    return True


def lookup(session: Session, *, team_id: str, kind: Kind, text: str) -> list[DirectoryEntry]:
    """Entries whose handle, or whole name, is `text` (case and a leading @ or # aside)."""
    handle = handle_of(text)
    if not handle:
        return []
    name = " ".join(text.strip().lstrip("@#").split()).lower()
    return list(
        session.exec(
            select(DirectoryEntry)
            .where(
                DirectoryEntry.team_id == team_id,
                DirectoryEntry.kind == kind,
                or_(DirectoryEntry.handle == handle, func.lower(DirectoryEntry.name) == name),
            )
            .order_by(col(DirectoryEntry.handle))
            .limit(10)
        ).all()
    )


def entries(session: Session, *, team_id: str, kind: Kind) -> list[DirectoryEntry]:
    """The workspace's people or channels, by handle."""
    return list(
        session.exec(
            select(DirectoryEntry)
            .where(DirectoryEntry.team_id == team_id, DirectoryEntry.kind == kind)
            .order_by(col(DirectoryEntry.handle))
            .limit(LIST_LIMIT)
        ).all()
    )


def names(session: Session, *, team_id: str) -> dict[str, str]:
    """Slack id -> how to show them ("Jane Roe", else "@jane"; "#sales"), for every person
    and channel the directory knows: the console's text names people instead of ids."""
    rows = session.exec(select(DirectoryEntry).where(DirectoryEntry.team_id == team_id)).all()
    return {
        row.slack_id: row.name or (f"@{row.handle}" if row.kind == "user" else f"#{row.handle}")
        for row in rows
    }


def ids_by_name(session: Session, *, team_id: str) -> dict[str, str]:
    """Handle and full name (lower case) -> Slack id of every person the directory knows; a
    name two people share is left out, so it is never guessed."""
    found: dict[str, set[str]] = {}
    for entry in session.exec(
        select(DirectoryEntry).where(
            DirectoryEntry.team_id == team_id, DirectoryEntry.kind == "user"
        )
    ):
        for key in {entry.handle, " ".join((entry.name or "").lower().split())} - {""}:
            found.setdefault(key, set()).add(entry.slack_id)
    return {key: ids.pop() for key, ids in found.items() if len(ids) == 1}


def replace_from_slack(
    session: Session, *, team_id: str, kind: Kind, listed: Iterable[Listed]
) -> tuple[int, int]:
    """Make the workspace's synced entries of a kind what Slack listed; typed ones stay.

    Returns (kept or added, removed): people who left Slack are removed.
    """
    seen = set()
    for item in listed:
        set_entry(
            session,
            team_id=team_id,
            kind=kind,
            slack_id=item.slack_id,
            handle=item.handle,
            name=item.name,
            source="slack",
        )
        seen.add(item.slack_id)
    gone = session.exec(
        delete(DirectoryEntry).where(
            DirectoryEntry.team_id == team_id,
            DirectoryEntry.kind == kind,
            DirectoryEntry.source == "slack",
            col(DirectoryEntry.slack_id).not_in(seen or {""}),
        )
    )
    return len(seen), gone.rowcount or 0
