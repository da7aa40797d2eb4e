"""Everything a rep wants to see about one customer before a call, in one read."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import bindparam, case, func
from sqlmodel import Session, col, select

from crm_core.analytics.customer_scores import CustomerScore, score_of
from crm_core.customers import get_customer, list_contacts
from crm_core.models import Contact, Customer, Interaction, NpsResponse, Purchase
from crm_core.models.types import as_utc


@dataclass(frozen=True)
class PurchaseStats:
    """A customer's orders and refunds in one currency, counted apart as the analytics do:
    an order is an amount of zero or more, a refund a negative one."""

    currency: str
    orders: int
    revenue: Decimal  # net: the orders less the refunds
    average_order_value: Decimal | None  # over the orders only; None without one
    first_purchase: datetime | None  # the first order, never a refund
    last_purchase: datetime | None  # the last order, never a refund
    refunds: int = 0
    refunded: Decimal = Decimal("0.00")  # what the refunds gave back, as a positive amount
    last_refund: datetime | None = None


@dataclass(frozen=True)
class Customer360:
    """The customer-360 card's data: who, whose, what they bought, how they feel, what's next."""

    customer: Customer
    # The first purchase, or when the customer was added if that was earlier.
    customer_since: datetime
    contacts: list[Contact]
    purchases: list[PurchaseStats]
    latest_nps: int | None
    latest_nps_at: datetime | None
    nps_trend: list[int]  # the latest answers, oldest first
    open_follow_ups: list[Interaction]
    recent_interactions: list[Interaction]
    interactions_total: int
    # The last analytics refresh's scores; None before one, or for a customer who never bought.
    score: CustomerScore | None = None


# The card's queries, built once with bound parameters: building a select and its cache key
# anew cost more than running it (~0.25 of ~0.4 ms), and a card runs seven.
_TEAM, _CUSTOMER = bindparam("team_id"), bindparam("customer_id")
_IS_ORDER, _IS_REFUND = col(Purchase.amount) >= 0, col(Purchase.amount) < 0
_PURCHASES = (
    select(
        Purchase.currency,
        func.sum(case((_IS_ORDER, 1), else_=0)),
        func.sum(case((_IS_ORDER, Purchase.amount), else_=0)),
        func.min(case((_IS_ORDER, Purchase.purchased_at))),
        func.max(case((_IS_ORDER, Purchase.purchased_at))),
        func.sum(case((_IS_REFUND, 1), else_=0)),
        func.sum(case((_IS_REFUND, -col(Purchase.amount)), else_=0)),
        func.max(case((_IS_REFUND, Purchase.purchased_at))),
    )
    .where(Purchase.team_id == _TEAM, Purchase.customer_id == _CUSTOMER)
    .group_by(Purchase.currency)
    .order_by(func.count().desc(), Purchase.currency)
)
_NPS_ANSWERS = (
    select(NpsResponse.score, NpsResponse.responded_at)
    .where(NpsResponse.team_id == _TEAM, NpsResponse.customer_id == _CUSTOMER)
    .order_by(col(NpsResponse.responded_at).desc(), col(NpsResponse.id).desc())
    .limit(6)
)
_IN_CUSTOMER = (Interaction.team_id == _TEAM, Interaction.customer_id == _CUSTOMER)
_OPEN_FOLLOW_UPS = (
    select(Interaction)
    .where(
        *_IN_CUSTOMER,
        col(Interaction.follow_up_at).is_not(None),
        col(Interaction.follow_up_done).is_(False),
    )
    .order_by(col(Interaction.follow_up_at))
    .limit(10)
)
_RECENT_INTERACTIONS = (
    select(Interaction)
    .where(*_IN_CUSTOMER)
    .order_by(col(Interaction.occurred_at).desc(), col(Interaction.id).desc())
    .limit(bindparam("recent"))
)
_INTERACTIONS_TOTAL = select(func.count()).select_from(Interaction).where(*_IN_CUSTOMER)


def customer_360(
    session: Session, *, team_id: str, customer_id: int, recent: int = 5
) -> Customer360:
    """Gather the card of one customer of the workspace (CustomerNotFound otherwise)."""
    customer = get_customer(session, team_id=team_id, customer_id=customer_id)
    params = {"team_id": team_id, "customer_id": customer_id}
    stats = session.exec(_PURCHASES, params=params).all()
    purchases = [
        PurchaseStats(
            currency=currency,
            orders=int(orders),
            revenue=_money(ordered) - _money(refunded),
            average_order_value=_money(Decimal(ordered) / orders) if orders else None,
            first_purchase=_time(first),
            last_purchase=_time(last),
            refunds=int(refunds),
            refunded=_money(refunded),
            last_refund=_time(last_refund),
        )
        for currency, orders, ordered, first, last, refunds, refunded, last_refund in stats
    ]
    answers = session.exec(_NPS_ANSWERS, params=params).all()
    open_follow_ups = session.exec(_OPEN_FOLLOW_UPS, params=params).all()
    recent_interactions = session.exec(
        _RECENT_INTERACTIONS, params={**params, "recent": recent}
    ).all()
    total = session.exec(_INTERACTIONS_TOTAL, params=params).one()
    since = min([customer.created_at] + [p.first_purchase for p in purchases if p.first_purchase])
    return Customer360(
        customer=customer,
        customer_since=since,
        contacts=list_contacts(session, team_id=team_id, customer_id=customer_id),
        purchases=purchases,
        latest_nps=answers[0][0] if answers else None,
        latest_nps_at=answers[0][1] if answers else None,
        nps_trend=[score for score, _ in reversed(answers)],
        open_follow_ups=list(open_follow_ups),
        recent_interactions=list(recent_interactions),
        interactions_total=total,
        score=score_of(session, team_id=team_id, customer_id=customer_id),
    )


def _money(value: Decimal | float | int) -> Decimal:
    return Decimal(value).quantize(Decimal("0.01"))


def _time(value: datetime | str | None) -> datetime | None:
    return None if value is None else as_utc(value)
