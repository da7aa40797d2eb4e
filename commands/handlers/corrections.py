"""undo, edit and delete: taking back or correcting what was written from chat.

`undo` reverses the asker's own latest write within the undo window (a button's `undo <n>`
that one write, for its author only); `edit #N` and `delete #N` change an interaction its
author wrote, or any for an admin. Each is audited.
"""

from __future__ import annotations

from commands.request import Request
from commands.results import InteractionDeleted, InteractionEdited, Problem, WriteUndone
from commands.roles import refused
from commands.verbs import DeleteInteraction, EditInteraction, Undo
from crm_core import audit, customers, interactions, undo
from crm_core.errors import CustomerNotFound
from crm_core.models import Customer


def undo_write(command: Undo, request: Request) -> WriteUndone:
    done = undo.undo(
        request.session,
        team_id=request.team_id,
        user_id=request.actor.user_id,
        now=request.actor.now,
        window=request.undo_window,
        write_id=command.write_id,
    )
    customer = done.row if isinstance(done.row, Customer) else None
    if customer is None and done.write.customer_id is not None:
        try:
            customer = customers.get_customer(
                request.session, team_id=request.team_id, customer_id=done.write.customer_id
            )
        except CustomerNotFound:  # merged away since
            customer = None
    return WriteUndone(done.write.action, done.row, customer)


def edit(command: EditInteraction, request: Request) -> InteractionEdited | Problem:
    interaction = _own(request, command.interaction_id, "edit")
    if isinstance(interaction, Problem):
        return interaction
    before = interaction.summary
    interactions.set_summary(
        request.session,
        team_id=request.team_id,
        interaction_id=interaction.id,
        summary=command.summary,
    )
    undo_id = request.remember(
        "edit",
        interaction,
        customer_id=interaction.customer_id,
        before={"summary": before, "after": interaction.summary},
    )
    _audit(request, "edit", interaction.id)
    customer = customers.get_customer(
        request.session, team_id=request.team_id, customer_id=interaction.customer_id
    )
    return InteractionEdited(interaction, customer, before, undo_id)


def delete(command: DeleteInteraction, request: Request) -> InteractionDeleted | Problem:
    interaction = _own(request, command.interaction_id, "delete")
    if isinstance(interaction, Problem):
        return interaction
    kept = undo.snapshot(interaction)
    customer = customers.get_customer(
        request.session, team_id=request.team_id, customer_id=interaction.customer_id
    )
    interactions.delete_interaction(
        request.session, team_id=request.team_id, interaction_id=interaction.id
    )
    undo_id = request.remember(
        "delete", interaction, customer_id=interaction.customer_id, before=kept
    )
    _audit(request, "delete", interaction.id)
    return InteractionDeleted(interaction, customer, undo_id)


def _own(request: Request, interaction_id: int, verb: str):
    """The interaction, if the asker may change it: its author, or an admin."""
    interaction = interactions.get_interaction(
        request.session, team_id=request.team_id, interaction_id=interaction_id
    )
    actor = request.actor
    if interaction.author_user_id == actor.user_id or actor.role == "admin":
        return interaction
    who = interaction.author_user_id or "an import"
    return refused(
        request,
        verb,
        f"interaction #{interaction_id}",
        f"interaction #{interaction_id} was logged by {who}: only its author or an admin can "
        f"{verb} it. This request was noted in the audit log.",
    )


def _audit(request: Request, action: str, interaction_id: int) -> None:
    audit.record(
        request.session, team_id=request.team_id, user_id=request.actor.user_id,
        action=action, target=f"interaction #{interaction_id}", at=request.actor.now,
    )  # fmt: skip
