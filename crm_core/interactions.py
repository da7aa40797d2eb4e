"""Logging calls, meetings, emails and notes, and the follow-ups they carry."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import Literal

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from crm_core.customers import get_customer
from crm_core.errors import FollowUpNotFound, InteractionNotFound, InvalidInput
from crm_core.models import Customer, Interaction, InteractionKind, InteractionSource, utcnow

SUMMARY_MAX = 40_000


def log_interaction(
    session: Session,
    *,
    team_id: str,
    customer_id: int,
    kind: str,
    summary: str,
    author_user_id: str | None,
    source: str,
    occurred_at: datetime | None = None,
    permalink: str | None = None,
    follow_up_at: datetime | None = None,
    idempotency_key: str | None = None,
) -> Interaction:
    """Record a touch with a customer.

    With an idempotency key, a second call with the same key (a retried Slack delivery, a
    re-imported file) returns the first interaction and writes nothing.
    """
    if idempotency_key:
        existing = _by_idempotency_key(session, team_id=team_id, key=idempotency_key)
        if existing is not None:
            return existing
    kind = _valid_kind(kind)
    source = InteractionSource(source).value
    if len(summary) > SUMMARY_MAX:
        raise InvalidInput(
            f"the summary is {len(summary):,} characters; the limit is {SUMMARY_MAX:,}"
        )
    for label, value in (("occurred_at", occurred_at), ("follow_up_at", follow_up_at)):
        if value is not None and value.tzinfo is None:
            raise InvalidInput(f"{label} must carry a time zone")
    get_customer(session, team_id=team_id, customer_id=customer_id)
    interaction = Interaction(
        team_id=team_id,
        customer_id=customer_id,
        kind=kind,
        summary=summary.strip(),
        occurred_at=occurred_at or utcnow(),
        author_user_id=author_user_id,
        source=source,
        permalink=permalink,
        follow_up_at=follow_up_at,
        idempotency_key=idempotency_key,
    )
    if not idempotency_key:
        session.add(interaction)
        session.flush()
        return interaction
    try:
        # Another process may log the same delivery at the same moment: the unique key decides.
        with session.begin_nested():
            session.add(interaction)
    except IntegrityError:
        existing = _by_idempotency_key(session, team_id=team_id, key=idempotency_key)
        if existing is None:
            raise
        return existing
    return interaction


@dataclass(frozen=True)
class FollowUp:
    """An open follow-up: the interaction that set it and the customer it is about."""

    interaction_id: int
    customer_id: int
    customer_name: str
    kind: str
    summary: str
    due_at: datetime
    author_user_id: str | None
    overdue: bool


def list_follow_ups(
    session: Session,
    *,
    team_id: str,
    now: datetime,
    tz: tzinfo,
    due: Literal["all", "today", "overdue"] = "all",
    owner_user_id: str | None = None,
    customer_id: int | None = None,
    limit: int = 200,
) -> list[FollowUp]:
    """Open follow-ups, soonest first: all, due today, or overdue (due before today).

    "Today" is the calendar day of `now` in the viewer's time zone `tz`. `owner_user_id`
    keeps those logged by that user, `customer_id` those about one customer.
    """
    local_now = now.astimezone(tz)
    start_of_today = local_now.replace(hour=0, minute=0, second=0, microsecond=0)
    start_of_tomorrow = (start_of_today + timedelta(days=1)).replace(hour=0, minute=0)
    # Only the columns a follow-up shows: building 100 Interaction objects cost more than the query.
    query = (
        select(
            Interaction.id,
            Interaction.customer_id,
            Interaction.kind,
            Interaction.summary,
            Interaction.follow_up_at,
            Interaction.author_user_id,
            Customer.name,
        )
        .join(Customer, col(Customer.id) == col(Interaction.customer_id))
        .where(
            Interaction.team_id == team_id,
            col(Interaction.follow_up_at).is_not(None),
            col(Interaction.follow_up_done).is_(False),
        )
    )
    if due == "today":
        query = query.where(
            col(Interaction.follow_up_at) >= start_of_today,
            col(Interaction.follow_up_at) < start_of_tomorrow,
        )
    elif due == "overdue":
        query = query.where(col(Interaction.follow_up_at) < start_of_today)
    if owner_user_id:
        query = query.where(Interaction.author_user_id == owner_user_id)
    if customer_id is not None:
        query = query.where(Interaction.customer_id == customer_id)
    query = query.order_by(col(Interaction.follow_up_at), col(Interaction.id)).limit(limit)
    return [
        FollowUp(
            interaction_id=row.id,
            customer_id=row.customer_id,
            customer_name=row.name,
            kind=row.kind,
            summary=row.summary,
            due_at=row.follow_up_at,
            author_user_id=row.author_user_id,
            overdue=row.follow_up_at < start_of_today,
        )
        for row in session.exec(query).all()
    ]


def mark_follow_up_done(
    session: Session, *, team_id: str, interaction_id: int, now: datetime | None = None
) -> Interaction:
    """Close an open follow-up; closing it twice is harmless."""
    interaction = session.get(Interaction, interaction_id)
    if interaction is None or interaction.team_id != team_id or interaction.follow_up_at is None:
        raise FollowUpNotFound(
            f"there is no follow-up #{interaction_id}; type `followups` to list them"
        )
    if not interaction.follow_up_done:
        interaction.follow_up_done = True
        interaction.follow_up_done_at = now or utcnow()
        session.add(interaction)
        session.flush()
    return interaction


def get_interaction(session: Session, *, team_id: str, interaction_id: int) -> Interaction:
    """The workspace's interaction with this number, or InteractionNotFound."""
    interaction = session.get(Interaction, interaction_id)
    if interaction is None or interaction.team_id != team_id:
        raise InteractionNotFound(
            f"there is no interaction #{interaction_id}; its number is on the customer's card "
            "and in the confirmation of the log"
        )
    return interaction


def set_summary(
    session: Session, *, team_id: str, interaction_id: int, summary: str
) -> Interaction:
    """Replace what an interaction says (a correction; when and with whom stay)."""
    interaction = get_interaction(session, team_id=team_id, interaction_id=interaction_id)
    summary = summary.strip()
    if not summary:
        raise InvalidInput("say what it should read instead, e.g. edit #12 talked pricing")
    if len(summary) > SUMMARY_MAX:
        raise InvalidInput(
            f"the summary is {len(summary):,} characters; the limit is {SUMMARY_MAX:,}"
        )
    interaction.summary = summary
    session.add(interaction)
    session.flush()
    return interaction


def delete_interaction(session: Session, *, team_id: str, interaction_id: int) -> Interaction:
    """Remove an interaction (and the follow-up it carries) from the workspace."""
    interaction = get_interaction(session, team_id=team_id, interaction_id=interaction_id)
    session.delete(interaction)
    session.flush()
    return interaction


def find_logged(session: Session, *, team_id: str, key: str) -> Interaction | None:
    """The interaction an earlier delivery with this idempotency key logged, if any."""
    return _by_idempotency_key(session, team_id=team_id, key=key)


def _by_idempotency_key(session: Session, *, team_id: str, key: str) -> Interaction | None:
    return session.exec(
        select(Interaction).where(
            Interaction.team_id == team_id, Interaction.idempotency_key == key
        )
    ).first()


def _valid_kind(kind: str) -> str:
    try:
        return InteractionKind(kind.strip().lower()).value
    except ValueError:
        allowed = ", ".join(k.value for k in InteractionKind)
        raise InvalidInput(f"{kind!r} is not a kind of interaction; use one of {allowed}") from None
