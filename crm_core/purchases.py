"""Recording what customers buy."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from sqlmodel import Session, select

from crm_core import exchange_rates
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
    future_tolerance_days: int = 1,
) -> Purchase:
    """Record an order; a negative amount is a refund. A known external id returns that order.

    `default_currency` is the reporting currency: the order also stores its amount in it
    (exchange_rates.convert), and one in a currency without a rate on or before its date is
    refused, as is one dated more than `future_tolerance_days` after now.
    """
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
    now = utcnow()
    if purchased_at is not None and purchased_at > now + timedelta(days=future_tolerance_days):
        raise InvalidInput(
            f"{purchased_at:%Y-%m-%d %H:%M} is in the future, later than now plus "
            f"analytics.future_tolerance_days ({future_tolerance_days} day"
            f"{'s' if future_tolerance_days != 1 else ''}); nothing was recorded. Give the "
            "date it was bought, or raise analytics.future_tolerance_days in app.yaml"
        )
    purchased_at = purchased_at or now
    get_customer(session, team_id=team_id, customer_id=customer_id)
    (reporting_amount,) = exchange_rates.convert(
        session,
        team_id=team_id,
        reporting_currency=default_currency,
        amounts=[value],
        currencies=[currency],
        days=[purchased_at.date()],
    )
    exchange_rates.backfill_once(session, team_id=team_id, reporting_currency=default_currency)
    purchase = Purchase(
        team_id=team_id,
        customer_id=customer_id,
        amount=value,
        currency=currency,
        reporting_amount=reporting_amount,
        reporting_currency=default_currency,
        purchased_at=purchased_at,
        external_id=external_id,
    )
    session.add(purchase)
    session.flush()
    note_purchase(session, purchase)
    return purchase
