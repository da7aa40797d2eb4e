"""The one entry point every front end calls: text and actor in, an answer out.

Domain errors become answers here, with the usage line of the verb and a way forward;
whatever went wrong, the unit of work is rolled back so a refused command writes nothing.
"""

from __future__ import annotations

import logging
import re
from dataclasses import replace

from commands.actor import Actor, Backend
from commands.parser import ParseError, UnknownVerb, clean, parse
from commands.registry import closest_verbs, find_verb, spec_for
from commands.request import Request
from commands.results import Answer, Choice, DidYouMean, NotFound, Problem, Result
from commands.text_limit import too_long
from crm_core.errors import AmbiguousCustomer, CrmError, CustomerNotFound, DatabaseGone

logger = logging.getLogger(__name__)
# A run of spaces is entered at its first space only (look-behind), so it is read once.
_SHARE = re.compile(r"(?:^share\s+|(?<!\s)\s+share$)", re.I)


def dispatch(text: str, actor: Actor, backend: Backend) -> Answer:
    """Run one line of chat for `actor` and say what happened."""
    if problem := too_long(text):  # before any pattern reads the text
        return Answer(Problem(problem), shown_at=actor.now)
    share = bool(_SHARE.search(text.strip()))
    if share:
        text = _SHARE.sub("", text.strip(), count=1)
    return Answer(_run(text, actor, backend), shown_at=actor.now, share=share)


def _run(text: str, actor: Actor, backend: Backend) -> Result:
    from crm_core.db import unit_of_work  # here: the console answers `help` without a database

    try:
        command = parse(text)
    except ParseError as exc:
        problem = _problem(exc.problem, exc.verb)
        if exc.suggestion:
            problem = replace(problem, choices=[Choice(exc.suggestion, exc.suggestion)])
        return problem
    except UnknownVerb as exc:
        close = closest_verbs(exc.word)
        hint = f" Did you mean {' or '.join(f'`{v}`' for v in close)}?" if close else ""
        return Problem(
            f"I don't know {exc.word!r}.{hint} Type `help` to see what I understand.",
            choices=[Choice(f"help {verb}", f"help {verb}") for verb in close],
        )
    spec = spec_for(command)
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
                Choice(c.name, _with_customer(cleaned, exc.query, c.customer_id))
                for c in exc.candidates
            ],
        )
    except CustomerNotFound as exc:
        return NotFound(
            exc.query,
            [
                Choice(s.name, _with_customer(cleaned, exc.query, s.customer_id))
                for s in exc.suggestions
            ],
            add_command=f"add customer {exc.query}",
        )
    except DatabaseGone as exc:  # nothing to do with how the command was typed: no usage
        return Problem(str(exc))
    except CrmError as exc:
        return _problem(str(exc), spec.name)


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
