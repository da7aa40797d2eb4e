"""Bounded input: every pattern reads a long line in linear time, and text over the limit is
refused before any pattern reads it.

Slack lets a message hold 40,000 characters. A pattern that backtracks quadratically takes
minutes on that much ("x", 40,000 spaces, "y" froze a worker for a minute); a linear one a
few milliseconds. The budget below sits between the two by orders of magnitude, so it is a
test of the shape of each pattern, not a benchmark.
"""

from __future__ import annotations

import ast
import contextlib
import dataclasses
import importlib
import pkgutil
import re
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bot.listeners.answering import chart_asked
from commands.parser import _VERBS, ParseError, UnknownVerb, parse
from commands.text_limit import TEXT_LIMIT
from crm_core.customers import create_customer
from crm_core.db import unit_of_work
from reports import views
from tests.bot_server import running_bot
from tests.test_bot_views import submission

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("commands", "bot", "reports", "crm_core")
SLACK_MOST = 40_000
BUDGET = 0.2  # seconds for one search over 40,000 characters; quadratic takes minutes
_CALLS = {"compile", "search", "match", "fullmatch", "sub", "subn", "split", "findall", "finditer"}


def _module_names() -> Iterator[str]:
    for package in PACKAGES:
        yield package
        for info in pkgutil.walk_packages([str(ROOT / package)], prefix=f"{package}."):
            if not info.name.startswith("crm_core.migrations"):  # alembic's scripts, no text
                yield info.name


def _held(value: object, depth: int = 0) -> Iterator[re.Pattern]:
    """The patterns a module-level value holds: itself, or inside dicts, tuples, lists and
    dataclasses (the phrase table), a few levels down."""
    if isinstance(value, re.Pattern):
        yield value
    elif depth > 3 or isinstance(value, type):
        return
    elif isinstance(value, dict):
        for item in value.values():
            yield from _held(item, depth + 1)
    elif isinstance(value, tuple | list | set | frozenset):
        for item in value:
            yield from _held(item, depth + 1)
    elif dataclasses.is_dataclass(value):
        for item in vars(value).values():
            yield from _held(item, depth + 1)


def _flags(node: ast.Call) -> int:
    named = [k.value for k in node.keywords if k.arg == "flags"] + node.args[1:]
    return sum(
        getattr(re, arg.attr)
        for arg in named
        if isinstance(arg, ast.Attribute) and isinstance(arg.value, ast.Name)
        if arg.value.id == "re"
    )


def _written_inline(path: Path) -> Iterator[re.Pattern]:
    """Patterns written as a literal inside a function: re.sub(r"...", ...)."""
    for node in ast.walk(ast.parse(path.read_text())):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id == "re"
            and node.func.attr in _CALLS
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            yield re.compile(node.args[0].value, _flags(node))


def every_pattern() -> dict[str, re.Pattern]:
    """Every pattern of commands/, bot/, reports/ and crm_core/ (CSV cells reach its parsers), by
    where it was found."""
    found: dict[tuple[str, int], tuple[str, re.Pattern]] = {}
    for name in _module_names():
        module = importlib.import_module(name)
        for key, value in vars(module).items():
            for pattern in _held(value):
                found.setdefault((pattern.pattern, pattern.flags), (f"{name}.{key}", pattern))
        source = Path(module.__file__)
        for number, pattern in enumerate(_written_inline(source)):
            found.setdefault((pattern.pattern, pattern.flags), (f"{name}:inline{number}", pattern))
    named: dict[str, re.Pattern] = {}
    for where, pattern in found.values():
        named[f"{where}#{len([n for n in named if n.startswith(where + '#')])}"] = pattern
    return named


PATTERNS = every_pattern()


def adversarial(pattern: re.Pattern, size: int) -> Iterator[str]:
    """Lines that make a backtracking pattern try every split: long runs of one character,
    and runs built from the pattern's own words and punctuation."""
    yield "x" + " " * size + "y"
    for unit in ("a", "1", ":", "\t", "a ", "1 ", "1.", ", ", "<@U1|", "<http://a|"):
        yield unit * (size // len(unit))
    source = pattern.pattern
    for mark in sorted(set(re.findall(r"[^\w\s\\()?:|*+{}^$\[\]]", source))):
        yield mark * size
        yield ("a" + mark) * (size // 2)
    for word in sorted(set(re.findall(r"[A-Za-z]{2,}", source)))[:16]:
        yield (word + " ") * (size // (len(word) + 1))
        yield word + " " * size + "!"


def _seconds(run: Callable[[str], object], text: str) -> float:
    """The CPU time of this thread: other processes on a busy machine do not count."""
    started = time.thread_time()
    run(text)
    return time.thread_time() - started


def test_the_patterns_are_found():
    # A walk that found nothing would pass every test below.
    assert len(PATTERNS) > 60
    assert any("PHRASES" in name for name in PATTERNS)
    assert any(":inline" in name for name in PATTERNS)


@pytest.mark.parametrize("name", sorted(PATTERNS))
def test_a_pattern_reads_40000_characters_in_linear_time(name):
    pattern = PATTERNS[name]
    for run in (pattern.search, pattern.match, pattern.fullmatch):
        # Smaller sizes first: a cubic pattern fails there in seconds, not in hours at 40,000.
        for size in (SLACK_MOST // 100, SLACK_MOST // 10, SLACK_MOST):
            for text in adversarial(pattern, size):
                took = _seconds(run, text)
                assert took < BUDGET, (
                    f"{name} ({pattern.pattern[:80]!r}) took {took:.2f} s to {run.__name__} "
                    f"{len(text):,} characters starting {text[:24]!r}"
                )


def _fillers(size: int) -> Iterator[str]:
    yield "x" + " " * size + "y"
    for unit in ("a", "1", ", ", "a ", "1 ", ":", "-", "<@U1|", "<http://a|", "today "):
        yield unit * (size // len(unit))


def _parse(text: str) -> None:
    with contextlib.suppress(ParseError, UnknownVerb):
        parse(text)


@pytest.mark.parametrize("verb", sorted(_VERBS))
def test_the_parser_reads_a_line_at_the_limit_in_linear_time(verb):
    for filler in _fillers(TEXT_LIMIT):
        text = (verb + " " + filler)[:TEXT_LIMIT]
        assert _seconds(_parse, text) < BUDGET, f"parse({text[:40]!r}...)"


def test_text_over_the_limit_is_refused_saying_how_long_it_was_and_what_to_do(bot):
    for filler in _fillers(SLACK_MOST):
        started = time.perf_counter()
        out = bot.exec("note acme: " + filler)
        assert time.perf_counter() - started < BUDGET
        assert f"that is {len('note acme: ' + filler):,} characters" in out
        assert f"at most {TEXT_LIMIT:,}" in out and "Split it" in out


def test_share_and_chart_are_read_from_text_within_the_limit(bot):
    bot.exec("add customer Acme")
    assert bot.ask("customer acme" + " " * 3000 + "share").share
    assert not bot.ask("customer acme" + " " * SLACK_MOST + "share").share  # refused whole
    assert chart_asked("nps" + " " * 3000 + "chart") == ("nps", True)
    too_long = "nps" + " " * SLACK_MOST + "chart"
    assert chart_asked(too_long) == (too_long, False)  # left whole for dispatch to refuse


def _dm(text: str, ts: str) -> dict:
    return {
        "type": "message",
        "channel_type": "im",
        "channel": "D0REP",
        "user": "U0REP0001",
        "text": text,
        "ts": ts,
    }


# What froze a worker: runs of spaces where the chart and share detectors split them.
WORST = ("x" + " " * (SLACK_MOST - 2) + "y", "log call with x" + " " * 3970 + "y chart")


def test_help_is_answered_in_time_while_the_worst_direct_messages_are_handled(engine, emulator):
    with unit_of_work(engine) as session:
        create_customer(session, team_id="T1", name="Acme Corp")
    with running_bot(engine, emulator) as slack:
        emulator.reset()
        senders = [
            threading.Thread(target=slack.event, args=(_dm(text, f"170000099{i}.000100"),))
            for i, text in enumerate(WORST)
        ]
        for sender in senders:
            sender.start()
        reply = slack.slash("help", response_url=emulator.response_url(), user="U0OTHER01")
        for sender in senders:
            sender.join(timeout=30)
        assert reply.status == 200 and reply.seconds < 3
        assert "help" in reply.body.decode().lower()
        answers = emulator.wait_for("chat.postMessage", count=2, timeout=10)
    texts = sorted(call.args["text"] for call in answers)
    assert any(f"that is {SLACK_MOST:,} characters" in text for text in texts), texts


def test_a_note_over_the_limit_in_the_log_form_is_refused_next_to_the_field(engine, emulator):
    with unit_of_work(engine) as session:
        acme = create_customer(session, team_id="T1", name="Acme Corp").id
    with running_bot(engine, emulator) as slack:
        form = submission(acme, summary="x" * SLACK_MOST, day=None, view_id="V0LONG")
        reply = slack.interaction(form)
    assert reply.status == 200 and reply.json()["response_action"] == "errors"
    said = reply.json()["errors"][views.SUMMARY_BLOCK]
    assert f"{SLACK_MOST:,} characters" in said and f"at most {TEXT_LIMIT:,}" in said
