"""Who may do what: reps log and read; admins also export, forget, read the audit log and
subscribe channels other than the one they type in. Every decision on an admin action is
written to the audit log, refusals too."""

from __future__ import annotations

from commands.request import Request
from commands.results import Problem
from crm_core import audit
from crm_core.db import unit_of_work


def admin_only(
    request: Request, action: str, what: str, target: str | None = None
) -> Problem | None:
    """None when the actor is an admin (the grant is audited with the action by the caller);
    otherwise a Problem saying why and who can, with the refusal audited at once (the
    command's own unit of work is rolled back)."""
    if request.actor.role == "admin":
        return None
    named = request.settings.admins
    who = f"the admins named in app.yaml ({', '.join(named)}) and " if named else ""
    return refused(
        request,
        action,
        target,
        f"only an admin can {what}: {who}the workspace's own admins and owners can. "
        "Ask one of them; this request was noted in the audit log.",
    )


def refused(request: Request, action: str, target: str | None, message: str) -> Problem:
    """A refusal, audited at once in a unit of work of its own (the command's is rolled back)."""
    actor = request.actor
    with unit_of_work(request.session.get_bind()) as session:
        audit.record(
            session, team_id=actor.team_id, user_id=actor.user_id, action="refused",
            target=target, allowed=False, detail={"wanted": action},
        )  # fmt: skip
    return Problem(message)
