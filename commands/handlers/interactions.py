"""log call|meeting|email|note."""

from __future__ import annotations

import re

from commands.request import Request
from commands.results import Logged, Problem, ReminderSet
from commands.verbs import LogInteraction, Remind
from commands.when import parse_occurred, parse_when
from commands.when_phrases import loose_leading_past, trailing_past
from crm_core import customers
from crm_core.interactions import find_logged, log_interaction
from crm_core.models import Customer

# Without a colon, the longest run of leading words that is exactly a customer's name wins.
_PREFIX_WORDS = 8
# "about pricing", "re: pricing": the words that open a summary after the name.
_ABOUT = re.compile(r"^(?:about|regarding|re:?)\s+", re.I)
# Without a colon or an exact name, this few words are taken to be only a customer's name.
_NAME_ONLY_WORDS = 3


def log(command: LogInteraction, request: Request) -> Logged | Problem:
    actor, session, team_id = request.actor, request.session, request.team_id
    follow_up_at = parse_when(command.follow_up, now=actor.local_now) if command.follow_up else None
    occurred = command.occurred
    if command.customer is not None:
        named = command.customer
        if command.occurred_from_name:  # "Acme Sun": a customer of that very name wins
            whole = f"{named} {occurred}"
            if len(customers.find_exact(session, team_id=team_id, text=whole)) == 1:
                named, occurred = whole, None
        customer = customers.resolve_customer(session, team_id=team_id, text=named)
        summary = command.summary
    else:
        found = _customer_at_start(request, command.customer_and_summary)
        if found is None:
            return Problem(
                "I can't tell where the customer's name ends; put a colon after it, "
                f"e.g. log {command.kind} with Acme Corp: talked renewal"
            )
        customer, summary, said_when = found
        summary = _ABOUT.sub("", summary)
        occurred = occurred or said_when
    occurred_at = parse_occurred(occurred, now=actor.local_now) if occurred else actor.now
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
        occurred_at=occurred_at,
        permalink=actor.permalink,
        follow_up_at=follow_up_at,
        idempotency_key=actor.idempotency_key,
    )
    undo_id = request.remember("log", interaction, customer_id=customer.id)
    return Logged(
        interaction,
        customer,
        undo_id=undo_id,
        backdated=occurred is not None,
        follow_up_passed=follow_up_at is not None and follow_up_at < actor.now,
    )


def remind(command: Remind, request: Request) -> ReminderSet | Problem:
    """A follow-up on its own: a note "Reminder: call" due when asked, in your follow-ups."""
    actor, session, team_id = request.actor, request.session, request.team_id
    due = parse_when(command.when, now=actor.local_now)
    found = _customer_at_start(request, command.customer_and_rest)
    if found is None:
        return Problem(
            "I can't tell where the customer's name ends; put it right after what to do, "
            f"e.g. remind me to {command.action} Acme Corp about the renewal friday"
        )
    customer, rest, _ = found
    task = f"{command.action} {rest}".strip()
    if actor.idempotency_key and (
        earlier := find_logged(session, team_id=team_id, key=actor.idempotency_key)
    ):
        return ReminderSet(earlier, customer, task, due < actor.now)  # a retried delivery
    interaction = log_interaction(
        session,
        team_id=team_id,
        customer_id=customer.id,
        kind="note",
        summary=f"Reminder: {task}",
        author_user_id=actor.user_id,
        source=actor.source,
        occurred_at=actor.now,
        permalink=actor.permalink,
        follow_up_at=due,
        idempotency_key=actor.idempotency_key,
    )
    undo_id = request.remember("remind", interaction, customer_id=customer.id)
    return ReminderSet(interaction, customer, task, due < actor.now, undo_id)


def _customer_at_start(request: Request, text: str) -> tuple[Customer, str, str | None] | None:
    """The customer whose exact name starts the text, the rest as the summary, and a
    when-phrase that opened the rest ("acme yesterday talked pricing")."""
    words = text.split()
    for size in range(min(len(words), _PREFIX_WORDS), 0, -1):
        head, rest = " ".join(words[:size]), " ".join(words[size:])
        matches = customers.find_exact(request.session, team_id=request.team_id, text=head)
        if len(matches) == 1:
            said_when, rest = loose_leading_past(rest.lstrip(" ,;"))
            return matches[0], rest, said_when
    name, _, rest = text.partition(", ")  # "acm, talked pricing": a name, then the summary
    name, said_when = trailing_past(name)
    if len(name.split()) <= _NAME_ONLY_WORDS:
        # A short name (fuzzily if need be), and maybe no summary at all.
        customer = customers.resolve_customer(request.session, team_id=request.team_id, text=name)
        return customer, rest.strip(), said_when
    return None
