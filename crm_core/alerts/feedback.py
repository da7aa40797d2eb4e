"""Reps' answers to an alert: snooze a customer, or say they are not at risk.

A snooze hides the customer from digests until its date. "Not at risk" hides them until there
is new evidence: a purchase, an interaction or an NPS answer recorded after the feedback.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func
from sqlmodel import Session, col, select

from crm_core.customers import get_customer
from crm_core.models import AlertFeedback, Interaction, NpsResponse, Purchase
from crm_core.models.types import as_utc

SNOOZE = timedelta(days=30)
KINDS = ("snooze", "not_at_risk")


def give_feedback(
    session: Session, *, team_id: str, customer_id: int, user_id: str, kind: str, now: datetime
) -> AlertFeedback:
    """Record a snooze (30 days from now) or a "not at risk" for a customer of the workspace."""
    if kind not in KINDS:
        raise ValueError(f"unknown feedback {kind!r}")
    get_customer(session, team_id=team_id, customer_id=customer_id)  # scoped: raises if foreign
    feedback = AlertFeedback(
        team_id=team_id,
        customer_id=customer_id,
        kind=kind,
        until=now + SNOOZE if kind == "snooze" else None,
        user_id=user_id,
        created_at=now,
    )
    session.add(feedback)
    session.flush()
    return feedback


def hidden_customers(session: Session, *, team_id: str, now: datetime) -> set[int]:
    """Customers the digest leaves out now: snoozed, or marked not at risk with nothing since."""
    rows = session.exec(
        select(AlertFeedback).where(
            AlertFeedback.team_id == team_id,
            (col(AlertFeedback.kind) == "not_at_risk") | (col(AlertFeedback.until) > now),
        )
    ).all()
    hidden = {row.customer_id for row in rows if row.kind == "snooze"}
    marked: dict[int, datetime] = {}
    for row in rows:
        if row.kind == "not_at_risk":
            marked[row.customer_id] = max(
                row.created_at, marked.get(row.customer_id, row.created_at)
            )
    if marked:
        evidence = _latest_evidence(session, team_id=team_id, customer_ids=list(marked))
        hidden |= {
            customer_id
            for customer_id, since in marked.items()
            if customer_id not in evidence or evidence[customer_id] <= since
        }
    return hidden


def _latest_evidence(
    session: Session, *, team_id: str, customer_ids: list[int]
) -> dict[int, datetime]:
    """Each customer's newest purchase, interaction or NPS answer, by when it was recorded."""
    latest: dict[int, datetime] = {}
    for table, when in (
        (Purchase, Purchase.created_at),
        (Interaction, Interaction.created_at),
        (NpsResponse, NpsResponse.created_at),
    ):
        for start in range(0, len(customer_ids), 500):
            rows = session.exec(
                select(table.customer_id, func.max(when))
                .where(
                    table.team_id == team_id,
                    col(table.customer_id).in_(customer_ids[start : start + 500]),
                )
                .group_by(table.customer_id)
            ).all()
            for customer_id, at in rows:
                if at is not None:
                    at = as_utc(at)
                    latest[customer_id] = max(at, latest.get(customer_id, at))
    return latest
