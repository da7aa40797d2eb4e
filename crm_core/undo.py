"""Taking back a write made in chat: each write is remembered for the undo window, and `undo`
reverses the asker's latest (or a named one) exactly: a log is deleted, a follow-up reopened,
an edit's old summary restored, a deleted interaction put back."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, delete, select

from crm_core import audit
from crm_core.errors import CrmError
from crm_core.models import (
    AlertFeedback,
    AlertSubscription,
    Contact,
    Customer,
    Interaction,
    NpsResponse,
    Purchase,
    UndoableWrite,
)
from crm_core.models.types import as_utc
from crm_core.purchase_summaries import outdate_fits, rebuild_touched

# The table of each kind of row a write can touch.
TABLES: dict[str, Any] = {
    "interaction": Interaction,
    "purchase": Purchase,
    "nps_response": NpsResponse,
    "customer": Customer,
    "contact": Contact,
    "alert_subscription": AlertSubscription,
    "alert_feedback": AlertFeedback,
}
# An interaction's columns as a deleted one is kept, to be put back as it was.
_INTERACTION_FIELDS = (
    "id",
    "team_id",
    "customer_id",
    "kind",
    "summary",
    "occurred_at",
    "author_user_id",
    "source",
    "permalink",
    "follow_up_at",
    "follow_up_done",
    "follow_up_done_at",
    "idempotency_key",
    "created_at",
)
_TIMES = {"occurred_at", "follow_up_at", "follow_up_done_at", "created_at"}


class NothingToUndo(CrmError):
    """No write of the asker's can be taken back (none, too old, or someone's else)."""


@dataclass(frozen=True)
class Undone:
    """A write taken back: what it was, and the row as it was written (or is again)."""

    write: UndoableWrite
    row: Any


def remember(
    session: Session,
    *,
    team_id: str,
    user_id: str,
    action: str,
    row: Any,
    customer_id: int | None = None,
    before: dict | None = None,
    now: datetime,
    window: timedelta,
) -> UndoableWrite:
    """Note a write for `undo`, and forget the workspace's writes older than the window."""
    session.execute(
        delete(UndoableWrite).where(
            UndoableWrite.team_id == team_id, col(UndoableWrite.at) < now - window
        )
    )
    write = UndoableWrite(
        team_id=team_id,
        user_id=user_id,
        at=now,
        action=action,
        row_kind=next(kind for kind, table in TABLES.items() if isinstance(row, table)),
        row_id=row.id,
        customer_id=customer_id,
        before=before,
    )
    session.add(write)
    session.flush()
    return write


def snapshot(interaction: Interaction) -> dict:
    """An interaction's columns as JSON, so a delete can be undone."""
    values = {name: getattr(interaction, name) for name in _INTERACTION_FIELDS}
    for name in _TIMES:
        if values[name] is not None:
            values[name] = values[name].isoformat()
    values["kind"] = str(values["kind"])
    values["source"] = str(values["source"])
    return values


def undo(
    session: Session,
    *,
    team_id: str,
    user_id: str,
    now: datetime,
    window: timedelta,
    write_id: int | None = None,
) -> Undone:
    """Reverse the user's newest write not yet undone within the window, or the one named.

    Only its author can undo a write: a Slack button does what it offered, to whom it
    offered it. Raises NothingToUndo saying why not.
    """
    write = _chosen(session, team_id=team_id, user_id=user_id, write_id=write_id)
    minutes = int(window.total_seconds() // 60)
    if write is None or as_utc(write.at) < now - window:
        raise NothingToUndo(
            f"you have nothing to undo from the last {minutes} minutes"
            if write_id is None
            else f"that write is more than {minutes} minutes old, or it is not yours, so it "
            "cannot be undone; `edit #N` and `delete #N` still change an interaction"
        )
    if write.undone_at is not None:
        raise NothingToUndo("that was undone already; nothing changed")
    row = _reverse(session, write)
    write.undone_at = now
    session.add(write)
    audit.record(
        session, team_id=team_id, user_id=user_id, action="undo",
        target=f"{write.row_kind} #{write.row_id}", detail={"reverses": write.action}, at=now,
    )  # fmt: skip
    session.flush()
    return Undone(write, row)


def forget_customer_writes(session: Session, *, team_id: str, customer_id: int) -> int:
    """Drop what undo keeps of a customer (an erasure leaves no copy of their interactions)."""
    result = session.execute(
        delete(UndoableWrite).where(
            UndoableWrite.team_id == team_id, UndoableWrite.customer_id == customer_id
        )
    )
    return result.rowcount or 0


def _chosen(
    session: Session, *, team_id: str, user_id: str, write_id: int | None
) -> UndoableWrite | None:
    query = select(UndoableWrite).where(
        UndoableWrite.team_id == team_id, UndoableWrite.user_id == user_id
    )
    if write_id is not None:
        return session.exec(query.where(UndoableWrite.id == write_id)).first()
    return session.exec(
        query.where(col(UndoableWrite.undone_at).is_(None)).order_by(col(UndoableWrite.id).desc())
    ).first()


def _reverse(session: Session, write: UndoableWrite) -> Any:
    table = TABLES[write.row_kind]
    if write.action == "delete":
        return _put_back(session, write)
    row = session.get(table, write.row_id)
    if row is None or row.team_id != write.team_id:
        raise NothingToUndo(f"that {_label(write)} is gone already; nothing changed")
    if write.action == "done":
        row.follow_up_done, row.follow_up_done_at = False, None
    elif write.action == "edit":
        if row.summary != (write.before or {}).get("after"):
            raise NothingToUndo(
                f"interaction #{row.id} was changed again since; `edit #{row.id} ...` sets it"
            )
        row.summary = write.before["summary"]
    elif write.action == "subscribe":
        row.active = False
    elif write.action == "unsubscribe":
        row.active = True
    else:  # the write added the row: take it away
        if isinstance(row, Customer):
            _ensure_unused(session, row)
        session.delete(row)
        session.flush()
        if isinstance(row, Purchase):
            rebuild_touched(session, team_id=row.team_id, customer_ids=[row.customer_id])
            outdate_fits(session, team_id=row.team_id)
        return row
    session.add(row)
    session.flush()
    return row


def _put_back(session: Session, write: UndoableWrite) -> Interaction:
    values = dict(write.before or {})
    if session.get(Interaction, values["id"]) is not None:
        raise NothingToUndo(f"interaction #{values['id']} is back already; nothing changed")
    if session.get(Customer, values["customer_id"]) is None:
        raise NothingToUndo("its customer was erased or merged away since; nothing changed")
    for name in _TIMES:
        if values[name] is not None:
            values[name] = datetime.fromisoformat(values[name])
    interaction = Interaction(**values)
    session.add(interaction)
    session.flush()
    return interaction


def _ensure_unused(session: Session, customer: Customer) -> None:
    for table, what in (
        (Interaction, "interaction"),
        (Purchase, "purchase"),
        (NpsResponse, "NPS answer"),
        (Contact, "contact"),
    ):
        count = session.exec(
            select(func.count())
            .select_from(table)
            .where(table.team_id == customer.team_id, table.customer_id == customer.id)
        ).one()
        if count:
            raise NothingToUndo(
                f"{customer.name} has {count:,} {what}{'s' if count != 1 else ''} since it was "
                "added, so undo leaves it; "
                f"take those back first, or keep the customer"
            )


def _label(write: UndoableWrite) -> str:
    return write.row_kind.replace("_", " ")
