"""purchase and nps."""

from __future__ import annotations

from commands.request import Request
from commands.results import NpsRecorded, PurchaseRecorded
from commands.verbs import RecordNps, RecordPurchase
from commands.when import parse_when
from crm_core import customers
from crm_core.nps import record_nps
from crm_core.purchases import record_purchase


def purchase(command: RecordPurchase, request: Request) -> PurchaseRecorded:
    actor, session = request.actor, request.session
    when = (
        parse_when(command.on, now=actor.local_now, prefer_future=False)
        if command.on
        else actor.now
    )
    customer = customers.resolve_customer(session, team_id=request.team_id, text=command.customer)
    recorded = record_purchase(
        session,
        team_id=request.team_id,
        customer_id=customer.id,
        amount=command.amount,
        default_currency=request.settings.default_currency,
        purchased_at=when,
        future_tolerance_days=request.settings.analytics.future_tolerance_days,
    )
    undo_id = request.remember("purchase", recorded, customer_id=customer.id)
    return PurchaseRecorded(recorded, customer, undo_id)


def nps(command: RecordNps, request: Request) -> NpsRecorded:
    customer = customers.resolve_customer(
        request.session, team_id=request.team_id, text=command.customer
    )
    response = record_nps(
        request.session,
        team_id=request.team_id,
        customer_id=customer.id,
        score=command.score,
        comment=command.comment,
        responded_at=request.actor.now,
        author_user_id=request.actor.user_id,
    )
    undo_id = request.remember("nps", response, customer_id=customer.id)
    return NpsRecorded(response, customer, undo_id)
