"""Who may use which verb: the one table every entry point checks before any work is done.

Each verb needs one of three kinds of access:

- read: it shows customer data or figures and changes nothing;
- write: it records or changes something;
- admin: it exports, erases, reads the audit log or changes the workspace's set-up.

Roles: an admin (app.yaml's `admins` and the workspace's own admins and owners), a rep (a
member of the workspace), a guest (Slack's single- and multi-channel guests) and an external
user (someone from another organisation in a Slack Connect channel). Admins may do
everything, reps read and write, guests and external users nothing unless the `security`
settings open read-only verbs to them. `help` is open to everyone: it holds no customer data.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from crm_core.settings import Settings

Access = Literal["open", "read", "write", "admin"]
Role = Literal["admin", "rep", "guest", "external"]
ROLES: tuple[Role, ...] = ("admin", "rep", "guest", "external")

# Every verb of commands.registry, by name; a test checks that none is missing.
ACCESS: dict[str, Access] = {
    "help": "open",
    "customer": "read",
    "find": "read",
    "followups": "read",
    "clv": "read",
    "clv check": "read",
    "churn": "read",
    "churn rate": "read",
    "retention": "read",
    "nps summary": "read",
    "segments": "read",
    "pareto": "read",
    "cac": "read",
    "alerts list": "read",
    "alerts preview": "read",
    "log": "write",
    "remind": "write",
    "undo": "write",
    "edit": "write",
    "delete": "write",
    "add customer": "write",
    "add contact": "write",
    "purchase": "write",
    "nps": "write",
    "done": "write",
    "alerts subscribe": "write",
    "alerts unsubscribe": "write",
    "alerts test": "write",
    "export": "admin",
    "forget": "admin",
    "audit": "admin",
    # Listing the names the console knows is reading; adding and removing them, admins only
    # (the handler narrows it).
    "people": "read",
    "channels": "read",
    "channels share": "admin",
}
# Where a handler narrows what the table allows, in the README's words.
NARROWED: dict[str, str] = {
    "undo": "your own writes only",
    "edit": "reps: interactions they logged",
    "delete": "reps: interactions they logged",
    "alerts subscribe": "reps: the channel they type in",
    "alerts unsubscribe": "reps: a subscription of the channel they type in",
    "alerts test": "reps: a subscription of the channel they type in",
    "people": "adding and removing: admins",
    "channels": "adding and removing: admins",
}


def may(role: Role, verb: str, settings: Settings) -> bool:
    """Whether a user of this role may use this verb at all (a handler may still narrow it,
    e.g. a rep subscribes only the channel they type in)."""
    access = ACCESS[verb]
    if access == "open" or role == "admin":
        return True
    if role == "rep":
        return access in ("read", "write")
    if role == "guest":
        return access == "read" and settings.security.guests == "read"
    return access == "read" and verb in settings.security.external_verbs


def markdown_table() -> str:
    """The table as the README's "Who may do what" shows it (a test checks they agree)."""
    lines = [
        "| verb | needs | admin | rep | guest | external user | narrowed to |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for verb, access in ACCESS.items():
        cells = [_cell(role, access) for role in ROLES]
        note = NARROWED.get(verb, "")
        lines.append(f"| `{verb}` | {access} | {' | '.join(cells)} | {note} |")
    return "\n".join(lines) + "\n"


def _cell(role: Role, access: Access) -> str:
    if access == "open" or role == "admin" or (role == "rep" and access != "admin"):
        return "yes"
    if access == "read" and role == "guest":
        return "with `guests: read`"
    if access == "read" and role == "external":
        return "if in `external_verbs`"
    return "no"
