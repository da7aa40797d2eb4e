"""A customer's history: interactions, purchases and NPS answers in one list, newest first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlmodel import Session, col, select

from crm_core.customers import get_customer
from crm_core.models import Interaction, NpsResponse, Purchase


@dataclass(frozen=True)
class TimelineEntry:
    """One event in a customer's history."""

    at: datetime
    kind: str  # call, meeting, email, note, other, purchase or nps
    text: str
    author_user_id: str | None = None
    amount: Decimal | None = None
    currency: str | None = None
    score: int | None = None
    follow_up_at: datetime | None = None


def customer_timeline(
    session: Session, *, team_id: str, customer_id: int, limit: int = 50
) -> list[TimelineEntry]:
    """The `limit` newest events of a customer, newest first."""
    get_customer(session, team_id=team_id, customer_id=customer_id)
    interactions = session.exec(
        select(Interaction)
        .where(Interaction.team_id == team_id, Interaction.customer_id == customer_id)
        .order_by(col(Interaction.occurred_at).desc())
        .limit(limit)
    ).all()
    purchases = session.exec(
        select(Purchase)
        .where(Purchase.team_id == team_id, Purchase.customer_id == customer_id)
        .order_by(col(Purchase.purchased_at).desc())
        .limit(limit)
    ).all()
    answers = session.exec(
        select(NpsResponse)
        .where(NpsResponse.team_id == team_id, NpsResponse.customer_id == customer_id)
        .order_by(col(NpsResponse.responded_at).desc())
        .limit(limit)
    ).all()
    entries = [
        TimelineEntry(
            at=i.occurred_at,
            kind=i.kind,
            text=i.summary,
            author_user_id=i.author_user_id,
            follow_up_at=None if i.follow_up_done else i.follow_up_at,
        )
        for i in interactions
    ]
    entries += [
        TimelineEntry(
            at=p.purchased_at, kind="purchase", text="", amount=p.amount, currency=p.currency
        )
        for p in purchases
    ]
    entries += [
        TimelineEntry(
            at=n.responded_at,
            kind="nps",
            text=n.comment or "",
            author_user_id=n.author_user_id,
            score=n.score,
        )
        for n in answers
    ]
    entries.sort(key=lambda e: e.at, reverse=True)
    return entries[:limit]
