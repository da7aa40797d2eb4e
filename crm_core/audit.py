"""Writing and reading the audit log (imports, merges, exports, erasures, role decisions,
alert subscriptions). Entries name users and ids, never a customer's personal data."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from crm_core.models import AuditEvent, utcnow


def record(
    session: Session,
    *,
    team_id: str,
    user_id: str | None,
    action: str,
    target: str | None = None,
    allowed: bool = True,
    detail: dict | None = None,
    at: datetime | None = None,
) -> AuditEvent:
    """Add an entry in the caller's unit of work (it is kept or dropped with the change)."""
    event = AuditEvent(
        team_id=team_id,
        user_id=user_id,
        action=action,
        target=target,
        allowed=allowed,
        detail=detail,
        at=at or utcnow(),
    )
    session.add(event)
    return event


def events_since(
    session: Session, *, team_id: str, since: datetime, limit: int = 200
) -> list[AuditEvent]:
    """The workspace's entries since a moment, newest first."""
    return list(
        session.exec(
            select(AuditEvent)
            .where(AuditEvent.team_id == team_id, col(AuditEvent.at) >= since)
            .order_by(col(AuditEvent.at).desc(), col(AuditEvent.id).desc())
            .limit(limit)
        ).all()
    )
