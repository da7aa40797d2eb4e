"""Recording what customers buy."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlmodel import Session, select

from crm_core.customers import get_customer
from crm_core.errors import InvalidInput
from crm_core.models import Purchase, utcnow
from crm_core.purchase_summaries import note_purchase
from crm_core.values import parse_amount

AMOUNT_LIMIT = Decimal("1e12")


def record_purchase(
    session: Session,
    *,
    team_id: str,
    customer_id: int,
    amount: str | int | float | Decimal,
    default_currency: str,
    purchased_at: datetime | None = None,
    currency: str | None = None,
    external_id: str | None = None,
) -> Purchase:
    """Record an order; a negative amount is a refund. A known external id returns that order."""
    if external_id:
        existing = session.exec(
            select(Purchase).where(Purchase.team_id == team_id, Purchase.external_id == external_id)
        ).first()
        if existing is not None:
            return existing
    value, written_currency = parse_amount(amount, default_currency=currency or default_currency)
    if abs(value) >= AMOUNT_LIMIT:
        raise InvalidInput(
            f"{amount!r} is too large for an order; amounts stay under 1,000,000,000,000"
        )
    currency = (currency or written_currency or default_currency).upper()
    if len(currency) != 3 or not currency.isalpha():
        raise InvalidInput(
            f"{currency!r} is not a currency code; use three letters such as USD or EUR"
        )
    if purchased_at is not None and purchased_at.tzinfo is None:
        raise InvalidInput("purchased_at must carry a time zone")
    get_customer(session, team_id=team_id, customer_id=customer_id)
    purchase = Purchase(
        team_id=team_id,
        customer_id=customer_id,
        amount=value,
        currency=currency,
        purchased_at=purchased_at or utcnow(),
        external_id=external_id,
    )
    session.add(purchase)
    session.flush()
    note_purchase(session, purchase)
    return purchase
