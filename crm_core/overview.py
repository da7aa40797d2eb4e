"""A workspace at a glance: what the demo tour and App Home show first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo
from decimal import Decimal

from sqlalchemy import case, func
from sqlmodel import Session, col, select

from crm_core.interactions import FollowUp, list_follow_ups
from crm_core.models import Contact, Customer, Interaction, NpsResponse, Purchase
from crm_core.models.types import as_utc


@dataclass(frozen=True)
class TopCustomer:
    customer_id: int
    name: str
    owner_user_id: str | None
    orders: int  # refunds are no orders
    revenue: Decimal  # net of refunds


@dataclass(frozen=True)
class WorkspaceOverview:
    """Counts, date range, best customers, follow-ups due and the raw NPS of a workspace."""

    customers: int
    contacts: int
    purchases: int  # orders, as the analytics count them: amounts of zero or more
    refunds: int
    interactions: int
    nps_responses: int
    revenue: Decimal  # net of refunds
    first_purchase: datetime | None  # of an order, not a refund
    last_purchase: datetime | None
    top_customers: list[TopCustomer]
    follow_ups_today: list[FollowUp]
    follow_ups_overdue: int
    promoters: int
    detractors: int


def workspace_overview(
    session: Session, *, team_id: str, now: datetime, tz: tzinfo, top: int = 5
) -> WorkspaceOverview:
    """The figures of the workspace as of `now`, follow-ups judged in time zone `tz`."""

    def count(table) -> int:
        return session.exec(
            select(func.count()).select_from(table).where(table.team_id == team_id)
        ).one()

    is_order = col(Purchase.amount) >= 0
    revenue, orders, refunds, first, last = session.exec(
        select(
            func.coalesce(func.sum(Purchase.amount), 0),
            func.coalesce(func.sum(case((is_order, 1), else_=0)), 0),
            func.coalesce(func.sum(case((is_order, 0), else_=1)), 0),
            func.min(case((is_order, Purchase.purchased_at))),
            func.max(case((is_order, Purchase.purchased_at))),
        ).where(Purchase.team_id == team_id)
    ).one()
    top_rows = session.exec(
        select(
            Customer.id,
            Customer.name,
            Customer.owner_user_id,
            func.sum(case((is_order, 1), else_=0)),
            func.sum(Purchase.amount),
        )
        .join(Purchase, col(Purchase.customer_id) == col(Customer.id))
        .where(Customer.team_id == team_id, Purchase.team_id == team_id)
        .group_by(Customer.id, Customer.name, Customer.owner_user_id)
        .order_by(func.sum(Purchase.amount).desc())
        .limit(top)
    ).all()
    promoters, detractors = session.exec(
        select(
            func.coalesce(func.sum(case((col(NpsResponse.score) >= 9, 1), else_=0)), 0),
            func.coalesce(func.sum(case((col(NpsResponse.score) <= 6, 1), else_=0)), 0),
        ).where(NpsResponse.team_id == team_id)
    ).one()
    return WorkspaceOverview(
        customers=count(Customer),
        contacts=count(Contact),
        purchases=int(orders),
        refunds=int(refunds),
        interactions=count(Interaction),
        nps_responses=count(NpsResponse),
        revenue=Decimal(revenue).quantize(Decimal("0.01")),
        first_purchase=as_utc(first) if first else None,
        last_purchase=as_utc(last) if last else None,
        top_customers=[
            TopCustomer(i, n, o, int(c), Decimal(r).quantize(Decimal("0.01")))
            for i, n, o, c, r in top_rows
        ],
        follow_ups_today=list_follow_ups(
            session, team_id=team_id, now=now, tz=tz, due="today", limit=10
        ),
        follow_ups_overdue=len(
            list_follow_ups(session, team_id=team_id, now=now, tz=tz, due="overdue", limit=10_000)
        ),
        promoters=int(promoters),
        detractors=int(detractors),
    )
