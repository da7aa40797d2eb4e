"""followups and done."""

from __future__ import annotations

import re

from commands import people
from commands.request import Request
from commands.results import Choice, DidYouMean, FollowUpDone, FollowUpList, Problem
from commands.verbs import CompleteFollowUp, ListFollowUps
from crm_core import customers
from crm_core.interactions import list_follow_ups, mark_follow_up_done
from crm_core.models import Interaction

# A follow-up by its number; `customer #7` is left to resolve_customer.
_FOLLOW_UP_ID = re.compile(r"(?:follow[\s-]?up\s*)?#?(\d{1,18})", re.I)
# More than a screenful helps nobody; the answer says when there are more.
LIST_LIMIT = 100


def list_open(command: ListFollowUps, request: Request) -> FollowUpList:
    actor = request.actor
    owner = {"mine": actor.user_id}.get(command.scope)
    if command.scope == "user" and command.person:
        owner = people.person(request, command.person)
    due = command.scope if command.scope in ("today", "overdue") else "all"
    items = list_follow_ups(
        request.session,
        team_id=actor.team_id,
        now=actor.now,
        tz=actor.tz,
        due=due,
        owner_user_id=owner,
        limit=LIST_LIMIT + 1,
    )
    more = len(items) > LIST_LIMIT
    return FollowUpList(scope=command.scope, user_id=owner, items=items[:LIST_LIMIT], more=more)


def done(command: CompleteFollowUp, request: Request) -> FollowUpDone | DidYouMean | Problem:
    """`done #12` (or `done follow-up #12`) closes follow-up 12; `done acme` or
    `done customer #7` closes that customer's only open follow-up, or asks which."""
    session, actor = request.session, request.actor
    number = _FOLLOW_UP_ID.fullmatch(command.target.strip())
    if number:
        return _close(request, int(number.group(1)))
    customer = customers.resolve_customer(session, team_id=actor.team_id, text=command.target)
    open_items = list_follow_ups(
        session, team_id=actor.team_id, now=actor.now, tz=actor.tz, customer_id=customer.id
    )
    if not open_items:
        return Problem(f"{customer.name} has no open follow-ups; type `followups` to see yours")
    if len(open_items) > 1:
        return DidYouMean(
            command.target,
            [
                Choice(f"#{item.interaction_id} {item.summary}", f"done #{item.interaction_id}")
                for item in open_items
            ],
        )
    return _close(request, open_items[0].interaction_id)


def _close(request: Request, interaction_id: int) -> FollowUpDone:
    """Mark the follow-up done; closing one that is closed already changes (and notes) nothing."""
    session, actor = request.session, request.actor
    was_open = session.get(Interaction, interaction_id)
    was_open = was_open is not None and not was_open.follow_up_done
    interaction = mark_follow_up_done(
        session, team_id=actor.team_id, interaction_id=interaction_id, now=actor.now
    )
    customer = customers.get_customer(
        session, team_id=actor.team_id, customer_id=interaction.customer_id
    )
    undo_id = request.remember("done", interaction, customer_id=customer.id) if was_open else None
    return FollowUpDone(interaction, customer.name, undo_id)
