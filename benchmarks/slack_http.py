"""Benchmark issue 5's target: `/crm` over HTTP, through the real server, on 100,000 customers.

Target: 1,000 signed `/crm` requests at concurrency 20 are each acknowledged with
p99 < 300 ms (client-measured time to the HTTP reply) and none fails (a non-200 reply or a
transport error). Every `log` request must be stored exactly once.

The server is `crm serve --port <free port> --workers 2`, a subprocess (gunicorn, gthread
workers), on a fresh copy of chat_latency.py's cached 100,000-customer SQLite database (built
there on first use), its Web API client pointed at the Slack emulator running in this process.
The requests are what Slack sends (tests/slack_requests.py), for the workspace the database was
built for, from its 8 users, in a fixed shuffled mix: `customer <name>` of an existing customer
(half exact, half with a typo), `find <name>`, `follow-ups` and, a quarter of them,
`log call with <customer>: <unique text>`. An answer that takes the bot over 2 s is
acknowledged with "Working on it…" and posted to the request's response_url later: those are
counted apart. With --postgres-url (or CRM_TEST_POSTGRES_URL) the same runs on a fresh
PostgreSQL database filled by chat_latency.generate and dropped at the end.

    .venv/bin/python benchmarks/slack_http.py [--requests N] [--concurrency C] [--workers W]
        [--postgres-url URL] [--no-sqlite]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import random
import re
import secrets
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from argparse import Namespace
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import chat_latency
import numpy as np
from sqlalchemy import create_engine, func, make_url, select, text

# tests/ (the Slack emulator, the signed sender) is not installed: import it from the checkout.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.listeners.slash import WORKING
from crm_core import db
from crm_core.models import Interaction
from crm_core.names import normalize_name
from tests.slack_emulator import SlackEmulator
from tests.slack_requests import SlackSender

ROOT = Path(__file__).resolve().parent.parent
SIZES = (100_000, 1_000_000, 1_000_000)  # chat_latency.py's customers, interactions, purchases
TEAM, USERS = chat_latency.TEAM, chat_latency.OWNERS
SECRET = "bench-signing-secret-" + secrets.token_hex(8)
BOT_TOKEN = "xoxb-bench-token"
TARGET_P99_MS = 300.0
MIX = {"customer": 0.40, "find": 0.20, "follow-ups": 0.15, "log": 0.25}
START_TIMEOUT = 120.0  # seconds for /healthz to answer 200
SLOW_PATH_TIMEOUT = 60.0  # seconds to wait for the answers that go to response_url


@dataclass(frozen=True)
class Planned:
    """One request: the verb, the text after /crm, who sends it, and a log's unique summary."""

    verb: str
    text: str
    user: str
    summary: str | None = None


@dataclass(frozen=True)
class Outcome:
    """What came back: HTTP status (0 for a transport error), seconds, answered in the ack."""

    planned: Planned
    status: int
    ms: float
    in_ack: bool
    problem: str = ""


def plan_requests(names: list[str], count: int, tag: str) -> list[Planned]:
    """`count` requests in the MIX proportions, each naming a different random customer."""
    rng = random.Random(chat_latency.SEED + 5)
    taken = {normalize_name(name) for name in names}
    verbs = [verb for verb, share in MIX.items() for _ in range(round(share * count))]
    verbs = (verbs + ["customer"] * count)[:count]
    rng.shuffle(verbs)
    plan = []
    for n, (verb, i) in enumerate(zip(verbs, rng.sample(range(len(names)), count), strict=True)):
        name, user = names[i], USERS[n % len(USERS)]
        if verb == "customer":  # every other one with a typo, for the fuzzy path
            typed = chat_latency.typo(name, rng, taken) if n % 2 else name
            plan.append(Planned(verb, f"customer {typed}", user))
        elif verb == "find":
            words = [word for word in name.split() if word.isalpha()]
            partial = words[0] if n % 2 or len(words) < 2 else f"{words[0]} {words[1][:4]}"
            plan.append(Planned(verb, f"find {partial}", user))
        elif verb == "follow-ups":
            plan.append(Planned(verb, "follow-ups", user))
        else:
            summary = f"renewal talk, slack-http run {tag} request {n:04d}"
            plan.append(Planned(verb, f"log call with {name}: {summary}", user, summary))
    return plan


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def crm_serve(url: str, slack: SlackEmulator, workers: int, log: Path) -> Iterator[str]:
    """`crm serve` on a free port for the database at `url`; yields its /slack/events URL."""
    port = free_port()
    env = {
        **os.environ,
        "CRM_DATABASE_URL": url,
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": slack.base_url,
    }
    env.pop("SLACK_APP_TOKEN", None)  # that would mean Socket Mode
    crm = Path(sys.executable).with_name("crm")
    command = [str(crm), "serve", "--host", "127.0.0.1", "--port", str(port)]
    with log.open("wb") as output:
        server = subprocess.Popen(
            [*command, "--workers", str(workers)],
            env=env,
            cwd=ROOT,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_healthy(f"http://127.0.0.1:{port}/healthz", server, log)
        yield f"http://127.0.0.1:{port}/slack/events"
    finally:
        server.terminate()  # gunicorn's master stops its workers on SIGTERM
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def wait_healthy(url: str, server: subprocess.Popen, log: Path) -> None:
    """Poll /healthz until it answers 200; fail with the server's log if it dies or hangs."""
    started = time.perf_counter()
    while time.perf_counter() - started < START_TIMEOUT:
        if server.poll() is not None:
            raise RuntimeError(f"crm serve exited with {server.returncode}:\n{tail(log)}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    print(f"  server healthy after {time.perf_counter() - started:.1f} s")
                    return
        except OSError:  # not listening yet, or 503 while the database is unreachable
            pass
        time.sleep(0.2)
    raise RuntimeError(f"/healthz did not answer 200 within {START_TIMEOUT:.0f} s:\n{tail(log)}")


def tail(log: Path, lines: int = 30) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


def send(sender: SlackSender, slack: SlackEmulator, n: int, planned: Planned) -> Outcome:
    """Send one request as Slack would; its response_url is keyed by its position."""
    started = time.perf_counter()
    try:
        reply = sender.slash(
            planned.text, user=planned.user, response_url=slack.response_url(f"q{n}")
        )
    except OSError as exc:  # refused, reset or timed out: Slack would show the user an error
        ms = (time.perf_counter() - started) * 1000
        return Outcome(planned, 0, ms, False, f"{type(exc).__name__}: {exc}")
    in_ack, problem = True, ""
    if reply.status == 200:
        in_ack = reply.json().get("text") != WORKING  # not the ack promising a later answer
    else:
        problem = f"HTTP {reply.status}: {reply.body[:200]!r}"
    return Outcome(planned, reply.status, reply.seconds * 1000, in_ack, problem)


def send_all(url: str, slack: SlackEmulator, plan: list[Planned], concurrency: int):
    """Every planned request, `concurrency` at a time; the outcomes and the wall-clock seconds."""
    sender = SlackSender(url, SECRET, team_id=TEAM)
    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency, thread_name_prefix="slack") as pool:
        futures = [pool.submit(send, sender, slack, n, p) for n, p in enumerate(plan)]
        outcomes = [future.result() for future in futures]
    return outcomes, time.perf_counter() - started


def slow_answers(slack: SlackEmulator, outcomes: list[Outcome]) -> str:
    """Wait for the answers promised by "Working on it…"; say whether each came exactly once."""
    slow = [f"q{n}" for n, o in enumerate(outcomes) if o.status == 200 and not o.in_ack]
    if slow:
        with contextlib.suppress(AssertionError):  # reported below as missing
            slack.wait_for("response_url", len(slow), timeout=SLOW_PATH_TIMEOUT)
    posted = Counter(call.key for call in slack.calls_to("response_url"))
    missing = sum(1 for key in slow if posted[key] == 0)
    doubled = sum(1 for key in slow if posted[key] > 1)
    unexpected = sum(count for key, count in posted.items() if key not in slow)
    if not (missing or doubled or unexpected):
        return f"each of the {len(slow)} arrived once"
    return f"{missing} never arrived, {doubled} more than once, {unexpected} unexpected posts"


def stored_once(url: str, outcomes: list[Outcome]) -> tuple[int, int, Counter]:
    """How many log summaries are stored exactly once; how many were sent; other counts seen."""
    summaries = [o.planned.summary for o in outcomes if o.planned.summary]
    engine = db.open_engine(url)
    counts: Counter = Counter()
    with engine.connect() as connection:
        for start in range(0, len(summaries), 500):
            chunk = summaries[start : start + 500]
            rows = connection.execute(
                select(Interaction.summary, func.count())
                .where(Interaction.team_id == TEAM, Interaction.summary.in_(chunk))
                .group_by(Interaction.summary)
            )
            counts.update(dict(rows.all()))
    once = sum(1 for summary in summaries if counts[summary] == 1)
    wrong = Counter(counts[summary] for summary in summaries if counts[summary] != 1)
    return once, len(summaries), wrong


def percentiles(values: list[float]) -> list[float]:
    return [float(v) for v in np.percentile(values, [50, 95, 99])] if values else [0.0] * 3


def server_log(log: Path) -> str:
    """Status codes in gunicorn's access log and the number of error lines and tracebacks."""
    content = log.read_text(errors="replace")
    statuses = Counter(re.findall(r'"POST /slack/events" (\d{3}) ', content))
    errors = sum(1 for line in content.splitlines() if re.search(r"\bERROR\b", line))
    tracebacks = content.count("Traceback (most recent call last)")
    return f"access log {dict(statuses)}, {errors} ERROR lines, {tracebacks} tracebacks"


def measure(url: str, label: str, plan: list[Planned], args: Namespace) -> list[list[str]]:
    """Serve the database at `url`, send the plan, check the logs; the table's lines."""
    db.open_engine(url).dispose()  # migrate here, not in two gunicorn workers at once
    with tempfile.TemporaryDirectory(prefix="crm_bench_http_") as folder, SlackEmulator() as slack:
        log = Path(folder) / "server.log"
        with crm_serve(url, slack, args.workers, log) as events_url:
            outcomes, seconds = send_all(events_url, slack, plan, args.concurrency)
            slow_note = slow_answers(slack, outcomes)
        print(f"  {label}: server: {server_log(log)}")
    once, logs, wrong = stored_once(url, outcomes)
    report(label, outcomes, slow_note, (once, logs, wrong))
    errors = sum(1 for o in outcomes if o.status != 200)
    p50, p95, p99 = percentiles([o.ms for o in outcomes])
    verdict = "PASS" if p99 < TARGET_P99_MS and not errors else "FAIL"
    return [
        [label, f"{len(outcomes):,}", str(args.concurrency), str(args.workers), str(errors),
         f"{p50:.1f}", f"{p95:.1f}", f"{p99:.1f}", f"{len(outcomes) / seconds:.1f}",
         f"{p99 / TARGET_P99_MS:.2f}", verdict]
    ]  # fmt: skip


def report(label: str, outcomes: list[Outcome], slow_note: str, logs: tuple) -> None:
    """Per-verb latencies, the slow path, the slowest requests, errors, and the log check."""
    lines = []
    for verb in MIX:
        mine = [o for o in outcomes if o.planned.verb == verb]
        p50, p95, p99 = percentiles([o.ms for o in mine])
        errors, slow = sum(o.status != 200 for o in mine), sum(not o.in_ack for o in mine)
        lines.append(
            [label, verb, str(len(mine)), str(errors), f"{p50:.1f}", f"{p95:.1f}", f"{p99:.1f}",
             f"{max((o.ms for o in mine), default=0):.1f}", str(len(mine) - slow), str(slow)]
        )  # fmt: skip
    print()
    header = ["backend", "verb", "n", "errors", "p50 ms", "p95 ms", "p99 ms", "max ms"]
    print_table([*header, "in ack", "response_url"], lines)
    in_ack = sum(o.in_ack for o in outcomes if o.status == 200)
    print(f"  {label}: answered in the ack {in_ack}, via response_url (slow path) ", end="")
    print(f"{sum(not o.in_ack for o in outcomes if o.status == 200)}: {slow_note}")
    slowest = sorted(enumerate(outcomes), key=lambda pair: -pair[1].ms)[:5]
    described = ", ".join(f"#{n} {o.planned.verb} {o.ms:.0f} ms" for n, o in slowest)
    print(f"  {label}: slowest: {described}")
    for problem, count in Counter(o.problem for o in outcomes if o.problem).most_common(5):
        print(f"  {label}: error x{count}: {problem}")
    once, sent, wrong = logs
    verdict = "PASS" if once == sent else "FAIL"
    others = f"; stored count -> requests: {dict(wrong)}" if wrong else ""
    print(f"  {label}: log check: {once} of {sent} unique summaries stored exactly once{others}"
          f" -> {verdict}")  # fmt: skip
    print()


@contextlib.contextmanager
def sqlite_copy() -> Iterator[str]:
    """A fresh copy of chat_latency's cached database, so logged calls never reach the cache."""
    cached = chat_latency.sqlite_file(SIZES)
    with tempfile.TemporaryDirectory(prefix="crm_bench_http_db_") as folder:
        shutil.copyfile(cached, f"{folder}/bench.db")
        url = f"sqlite:///{folder}/bench.db"
        try:
            yield url
        finally:
            db.open_engine(url).dispose()


@contextlib.contextmanager
def postgres_copy(admin_url: str) -> Iterator[str]:
    """A fresh database on the server, filled by chat_latency.generate; dropped at the end."""
    name = f"crm_bench_http_{secrets.token_hex(4)}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    try:
        started = time.perf_counter()
        chat_latency.generate(url, SIZES)
        print(f"  postgresql: generated {name} in {time.perf_counter() - started:.0f} s")
        yield url
    finally:
        db.open_engine(url).dispose()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def print_table(header: list[str], lines: list[list[str]]) -> None:
    table = [header, *lines]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    for row in table:
        cells = zip(row, widths, strict=True)
        print("  ".join(c.ljust(w) if i < 1 else c.rjust(w) for i, (c, w) in enumerate(cells)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1_000)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2, help="crm serve --workers")
    parser.add_argument("--postgres-url", default=os.environ.get("CRM_TEST_POSTGRES_URL"))
    parser.add_argument("--no-sqlite", action="store_true", help="measure PostgreSQL only")
    args = parser.parse_args()

    print("command:", shlex.join([os.path.relpath(sys.executable), *sys.argv]))
    print(
        f"machine: nproc={os.cpu_count()}, python {platform.python_version()}, "
        f"{platform.system()} {platform.machine()}"
    )
    tag = secrets.token_hex(4)
    plan = plan_requests(chat_latency.company_names(SIZES[0], random.Random(chat_latency.SEED)),
                         args.requests, tag)  # fmt: skip
    print(f"  mix: {dict(Counter(p.verb for p in plan))}, run tag {tag}")
    lines: list[list[str]] = []
    if not args.no_sqlite:
        with sqlite_copy() as url:
            lines += measure(url, "sqlite", plan, args)
    problem = chat_latency.postgres_problem(args.postgres_url)
    if problem:
        print(f"PostgreSQL not measured: {problem}")
    else:
        with postgres_copy(args.postgres_url) as url:
            lines += measure(url, "postgresql", plan, args)
    header = ["backend", "requests", "concurrency", "workers", "errors", "p50 ms", "p95 ms"]
    print_table([*header, "p99 ms", "req/s", "p99/300ms", "verdict"], lines)


if __name__ == "__main__":
    main()
