"""Who may do what, in words: the refusals the permissions table (commands.permissions) and
the handlers' narrower rules give. Every refusal is written to the audit log."""

from __future__ import annotations

from typing import TYPE_CHECKING

from commands.actor import Actor
from commands.permissions import ACCESS, may
from commands.request import Request
from commands.results import Problem
from crm_core import audit
from crm_core.db import unit_of_work

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from crm_core.settings import Settings

# What each admin verb does, for "only an admin can …".
ADMIN_ACTIONS = {
    "export": "export a customer's data",
    "forget": "erase a customer's personal data",
    "audit": "read the audit log",
    "channels share": "let customer data into a channel shared with another organisation",
}


def not_permitted(actor: Actor, verb: str, settings: Settings) -> str | None:
    """Why `actor` may not use `verb` at all, worded for their role; None when they may."""
    if may(actor.role, verb, settings):
        return None
    if actor.role == "external":
        opened = [v for v in settings.security.external_verbs if ACCESS.get(v) == "read"]
        also = f" Here you may use: {', '.join(f'`{v}`' for v in opened)}." if opened else ""
        return (
            "you are from another organisation, so this workspace's CRM and its customer data "
            f"are not open to you.{also} Ask the person who invited you to look it up."
        )
    if actor.role == "guest":
        if settings.security.guests == "none":
            return (
                "guests of this workspace can't use the CRM. Ask a member of the workspace to "
                "look it up for you, or an admin to open it read-only to guests "
                "(`security: guests: read` in app.yaml)."
            )
        return (
            f"guests may only read the CRM, and `{verb}` changes it. Ask a member of the "
            "workspace to do it."
        )
    return only_an_admin(ADMIN_ACTIONS.get(verb, f"use `{verb}`"), settings)


def only_an_admin(what: str, settings: Settings) -> str:
    named = settings.admins
    who = f"the admins named in app.yaml ({', '.join(named)}) and " if named else ""
    return (
        f"only an admin can {what}: {who}the workspace's own admins and owners can. "
        "Ask one of them; this request was noted in the audit log."
    )


def admin_only(
    request: Request, action: str, what: str, target: str | None = None
) -> Problem | None:
    """None when the actor is an admin (the grant is audited with the action by the caller);
    otherwise a Problem saying why and who can, with the refusal audited at once (the
    command's own unit of work is rolled back)."""
    if request.actor.role == "admin":
        return None
    return refused(request, action, target, only_an_admin(what, request.settings))


def refused(request: Request, action: str, target: str | None, message: str) -> Problem:
    """A refusal, audited at once in a unit of work of its own (the command's is rolled back)."""
    note_refusal(request.session.get_bind(), request.actor, action, target)
    return Problem(message)


def note_refusal(engine: Engine, actor: Actor, action: str, target: str | None = None) -> None:
    """Write a refusal to the audit log in a unit of work of its own."""
    with unit_of_work(engine) as session:
        audit.record(
            session, team_id=actor.team_id, user_id=actor.user_id, action="refused",
            target=target, allowed=False, detail={"wanted": action, "role": actor.role},
        )  # fmt: skip
