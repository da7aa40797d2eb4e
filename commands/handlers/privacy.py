"""export, forget and audit: a customer's personal data and who touched it (admins only:
dispatch checks commands.permissions before any of these runs or resolves a customer)."""

from __future__ import annotations

from datetime import timedelta

from commands.request import Request
from commands.results import AuditLog, ExportReady, ForgetConfirm, Forgotten
from commands.verbs import ExportCustomer, ForgetCustomer, ShowAudit
from crm_core import audit, customers, privacy
from crm_core.customer360 import customer_360


def export(command: ExportCustomer, request: Request) -> ExportReady:
    customer = customers.resolve_customer(
        request.session, team_id=request.team_id, text=command.customer
    )
    target = f"customer #{customer.id}"
    exported = privacy.export_customer(
        request.session, team_id=request.team_id, customer_id=customer.id
    )
    audit.record(
        request.session, team_id=request.team_id, user_id=request.actor.user_id,
        action="export", target=target, detail=exported.counts, at=request.actor.now,
    )  # fmt: skip
    return ExportReady(customer.id, exported.files, exported.counts)


def forget(command: ForgetCustomer, request: Request) -> ForgetConfirm | Forgotten:
    customer = customers.resolve_customer(
        request.session, team_id=request.team_id, text=command.customer
    )
    target = f"customer #{customer.id}"
    if not command.confirmed:
        card = customer_360(request.session, team_id=request.team_id, customer_id=customer.id)
        return ForgetConfirm(card, f"forget #{customer.id} confirm")
    erasure = privacy.forget_customer(
        request.session, team_id=request.team_id, customer_id=customer.id
    )
    audit.record(
        request.session, team_id=request.team_id, user_id=request.actor.user_id,
        action="forget", target=target, at=request.actor.now,
        detail={"contacts": erasure.contacts, "interactions": erasure.interactions,
                "nps_comments": erasure.nps_comments, "merges": erasure.merges},
    )  # fmt: skip
    return Forgotten(erasure)


def audit_log(command: ShowAudit, request: Request) -> AuditLog:
    since = request.actor.now - timedelta(days=command.days)
    events = audit.events_since(request.session, team_id=request.team_id, since=since)
    return AuditLog(events, command.days)
