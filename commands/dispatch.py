"""The one entry point every front end calls: text and actor in, an answer out.

Domain errors become answers here, with the usage line of the verb and a way forward;
whatever went wrong, the unit of work is rolled back so a refused command writes nothing.
Who may use the verb (commands.permissions) is checked here, after parsing and before any
customer is looked up, so a refusal never offers choices; heavy verbs are rate-limited here.
"""

from __future__ import annotations

import logging
import re
from dataclasses import replace

from commands import rate_limits
from commands.actor import Actor, Backend
from commands.parser import ParseError, UnknownVerb, clean, parse
from commands.permissions import may
from commands.registry import (
    VerbSpec,
    choice,
    closest_verbs,
    find_verb,
    spec_for,
    without_confirm_word,
)
from commands.request import Request
from commands.results import Answer, Choice, DidYouMean, NotFound, Problem, Result
from crm_core.errors import AmbiguousCustomer, CrmError, CustomerNotFound, DatabaseGone

logger = logging.getLogger(__name__)
_SHARE = re.compile(r"(?:^share\s+|\s+share$)", re.I)


def dispatch(text: str, actor: Actor, backend: Backend) -> Answer:
    """Run one line of chat for `actor` and say what happened."""
    share = bool(_SHARE.search(text.strip()))
    if share:
        text = _SHARE.sub("", text.strip(), count=1)
    result = _run(text, actor, backend)
    kept_back = _kept_from_channel(actor, backend) if share else None
    return Answer(
        result, shown_at=actor.now, share=share and kept_back is None, not_shared=kept_back
    )


def _kept_from_channel(actor: Actor, backend: Backend) -> str | None:
    """Why a shared answer goes to the asker only: the channel is shared with another
    organisation and no admin allowed customer data there. None: it may be shared."""
    if backend.slack is None or actor.channel_id is None:
        return None
    from commands import shared_channels  # with the database layer
    from crm_core.db import unit_of_work

    try:
        with unit_of_work(backend.engine) as session:
            closed = shared_channels.closed(session, backend.slack, actor.team_id, actor.channel_id)
    except Exception:  # Slack or the database failed: share nothing rather than guess
        logger.exception("could not check whether channel %s is shared", actor.channel_id)
        return (
            "only you can see this: I could not check whether this channel is shared with "
            "another organisation, so I did not share it. Try `share` again in a moment."
        )
    if closed is None:
        return None
    return "only you can see this: " + shared_channels.needs_allowance(
        closed, "answers can be shared there"
    )


def _run(text: str, actor: Actor, backend: Backend) -> Result:
    from crm_core.db import unit_of_work  # here: the console answers `help` without a database

    try:
        command = parse(text)
    except ParseError as exc:
        if (spec := find_verb(exc.verb)) and (refusal := _refusal(spec, actor, backend)):
            return refusal  # the usage and suggestion of a verb they may not use: neither
        problem = _problem(exc.problem, exc.verb)
        if exc.suggestion:
            problem = replace(problem, choices=[_choice(exc.suggestion, exc.suggestion)])
        return problem
    except UnknownVerb as exc:
        close = closest_verbs(exc.word)
        hint = f" Did you mean {' or '.join(f'`{v}`' for v in close)}?" if close else ""
        return Problem(
            f"I don't know {exc.word!r}.{hint} Type `help` to see what I understand.",
            choices=[Choice(f"help {verb}", f"help {verb}") for verb in close],
        )
    spec = spec_for(command)
    if refusal := _refusal(spec, actor, backend):
        return refusal
    if wait := rate_limits.wait_before(actor, spec.name):
        return Problem(wait)
    cleaned = clean(text)
    try:
        with unit_of_work(backend.engine) as session:
            result = spec.handler(
                command, Request(cleaned, actor, session, backend.settings, backend.slack)
            )
            if isinstance(result, Problem | DidYouMean | NotFound):
                session.rollback()
            return result
    except AmbiguousCustomer as exc:
        return DidYouMean(
            exc.query,
            [
                _choice(c.name, _with_customer(cleaned, exc.query, c.customer_id))
                for c in exc.candidates
            ],
        )
    except CustomerNotFound as exc:
        return NotFound(
            exc.query,
            [
                _choice(s.name, _with_customer(cleaned, exc.query, s.customer_id))
                for s in exc.suggestions
            ],
            add_command=f"add customer {exc.query}",
        )
    except DatabaseGone as exc:  # nothing to do with how the command was typed: no usage
        return Problem(str(exc))
    except CrmError as exc:
        return _problem(str(exc), spec.name)


def _refusal(spec: VerbSpec, actor: Actor, backend: Backend) -> Problem | None:
    """The permissions table's answer for this actor and verb: None, or an audited refusal
    with no choices (a refused user is offered nothing another user could click)."""
    if may(actor.role, spec.name, backend.settings):
        return None
    from commands.roles import not_permitted, note_refusal  # with the database layer

    note_refusal(backend.engine, actor, spec.name)
    return Problem(not_permitted(actor, spec.name, backend.settings) or "")


def _choice(label: str, command: str) -> Choice:
    """A choice that runs `command` as the resolved intent: without the verb's confirm word
    (whoever clicks sees its preview), with the confirm dialog's question when running it
    destroys or stops something."""
    return choice(label, without_confirm_word(command))


def _problem(message: str, verb: str | None) -> Problem:
    spec = find_verb(verb)
    if spec is None:
        return Problem(message)
    return Problem(message, usage=spec.usage, examples=spec.examples[:2])


def _with_customer(text: str, query: str, customer_id: int) -> str:
    """The same command, naming the customer as `customer #id`: the "did you mean" choice.

    The reference says its kind, because a bare `#N` is not a customer everywhere: in
    `done #N` it is a follow-up, in `edit #N` an interaction.
    """
    position = text.lower().find(query.lower())
    if position < 0:
        return f"customer #{customer_id}"
    before, after = text[:position], text[position + len(query) :]
    kind = "" if re.search(r"\bcustomer\s+$", before, re.I) else "customer "
    return f"{before}{kind}#{customer_id}{after}"
