"""log call|meeting|email|note."""

from __future__ import annotations

from commands.request import Request
from commands.results import Logged, Problem
from commands.verbs import LogInteraction
from commands.when import parse_when
from crm_core import customers
from crm_core.interactions import find_logged, log_interaction
from crm_core.models import Customer

# Without a colon, the longest run of leading words that is exactly a customer's name wins.
_PREFIX_WORDS = 8
# Without a colon or an exact name, this few words are taken to be only a customer's name.
_NAME_ONLY_WORDS = 3


def log(command: LogInteraction, request: Request) -> Logged | Problem:
    actor, session, team_id = request.actor, request.session, request.team_id
    follow_up_at = parse_when(command.follow_up, now=actor.local_now) if command.follow_up else None
    if command.customer is not None:
        customer = customers.resolve_customer(session, team_id=team_id, text=command.customer)
        summary = command.summary
    else:
        found = _customer_at_start(request, command.customer_and_summary)
        if found is None:
            return Problem(
                "I can't tell where the customer's name ends; put a colon after it, "
                f"e.g. log {command.kind} with Acme Corp: talked renewal"
            )
        customer, summary = found
    if actor.idempotency_key:
        earlier = find_logged(session, team_id=team_id, key=actor.idempotency_key)
        if earlier is not None:
            return Logged(earlier, customer, created=False)
    interaction = log_interaction(
        session,
        team_id=team_id,
        customer_id=customer.id,
        kind=command.kind,
        summary=summary,
        author_user_id=actor.user_id,
        source=actor.source,
        occurred_at=actor.now,
        permalink=actor.permalink,
        follow_up_at=follow_up_at,
        idempotency_key=actor.idempotency_key,
    )
    undo_id = request.remember("log", interaction, customer_id=customer.id)
    return Logged(interaction, customer, undo_id=undo_id)


def _customer_at_start(request: Request, text: str) -> tuple[Customer, str] | None:
    words = text.split()
    for size in range(min(len(words), _PREFIX_WORDS), 0, -1):
        head, rest = " ".join(words[:size]), " ".join(words[size:])
        matches = customers.find_exact(request.session, team_id=request.team_id, text=head)
        if len(matches) == 1:
            return matches[0], rest
    if len(words) <= _NAME_ONLY_WORDS:
        # Most likely no summary at all: the whole text names the customer, fuzzily if need be.
        return customers.resolve_customer(request.session, team_id=request.team_id, text=text), ""
    return None
