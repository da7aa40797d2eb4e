"""Which channels shared with another organisation may receive customer data: an admin
allows each one explicitly; every other shared channel gets none."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from crm_core.models import SharedChannelAllowance, utcnow


def is_allowed(session: Session, *, team_id: str, channel_id: str) -> bool:
    """Whether an admin allowed customer data into this shared channel."""
    return session.get(SharedChannelAllowance, (team_id, channel_id)) is not None


def allow(
    session: Session, *, team_id: str, channel_id: str, allowed_by: str, now: datetime | None = None
) -> SharedChannelAllowance:
    """Allow the channel (again: the newest admin and moment are kept)."""
    allowance = session.get(SharedChannelAllowance, (team_id, channel_id))
    if allowance is None:
        allowance = SharedChannelAllowance(team_id=team_id, channel_id=channel_id, allowed_by="")
    allowance.allowed_by, allowance.allowed_at = allowed_by, now or utcnow()
    session.add(allowance)
    session.flush()
    return allowance


def disallow(session: Session, *, team_id: str, channel_id: str) -> bool:
    """Take the allowance back; False when there was none."""
    allowance = session.get(SharedChannelAllowance, (team_id, channel_id))
    if allowance is None:
        return False
    session.delete(allowance)
    session.flush()
    return True


def allowed_channels(session: Session, *, team_id: str) -> list[SharedChannelAllowance]:
    """The workspace's allowances, oldest first."""
    return list(
        session.exec(
            select(SharedChannelAllowance)
            .where(SharedChannelAllowance.team_id == team_id)
            .order_by(col(SharedChannelAllowance.allowed_at))
        ).all()
    )
