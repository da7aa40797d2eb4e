"""export, forget and audit: a customer's personal data and who touched it (admins only)."""

from __future__ import annotations

from datetime import timedelta

from commands.request import Request
from commands.results import AuditLog, ExportReady, ForgetConfirm, Forgotten, Problem
from commands.roles import admin_only
from commands.verbs import ExportCustomer, ForgetCustomer, ShowAudit
from crm_core import audit, customers, privacy
from crm_core.customer360 import customer_360


def export(command: ExportCustomer, request: Request) -> ExportReady | Problem:
    customer = customers.resolve_customer(
        request.session, team_id=request.team_id, text=command.customer
    )
    target = f"customer #{customer.id}"
    if refused := admin_only(request, "export", "export a customer's data", target):
        return refused
    exported = privacy.export_customer(
        request.session, team_id=request.team_id, customer_id=customer.id
    )
    audit.record(
        request.session, team_id=request.team_id, user_id=request.actor.user_id,
        action="export", target=target, detail=exported.counts, at=request.actor.now,
    )  # fmt: skip
    return ExportReady(customer.id, exported.files, exported.counts)


def forget(command: ForgetCustomer, request: Request) -> ForgetConfirm | Forgotten | Problem:
    customer = customers.resolve_customer(
        request.session, team_id=request.team_id, text=command.customer
    )
    target = f"customer #{customer.id}"
    if refused := admin_only(request, "forget", "erase a customer's personal data", target):
        return refused
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


def audit_log(command: ShowAudit, request: Request) -> AuditLog | Problem:
    if refused := admin_only(request, "audit", "read the audit log"):
        return refused
    since = request.actor.now - timedelta(days=command.days)
    events = audit.events_since(request.session, team_id=request.team_id, since=since)
    return AuditLog(events, command.days)
