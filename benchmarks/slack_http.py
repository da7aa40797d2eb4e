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

Printed per backend: latencies per verb, how many answers came in the ack and how many through
response_url (each must arrive once), latencies after the first 100 requests (no cold start),
the slowest requests, the errors, what gunicorn logged, the CPU the server used while the
requests were sent, and the log check (each unique summary stored exactly once). Then one line
per backend: errors, p50/p95/p99, throughput over the whole run and the verdict. The exit code
is 0 either way: it is a report.

    .venv/bin/python benchmarks/slack_http.py [--requests N] [--concurrency C] [--workers W]
        [--threads T]
        [--postgres-url URL] [--no-sqlite] [--server-log PATH]
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import os
import random
import re
import resource
import secrets
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
from bench_report import fresh_postgres, postgres_problem, print_header, print_table
from sqlalchemy import func, make_url, select
from sqlmodel import col

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
WARM_AFTER = 100  # latencies after this many requests are shown apart: no cold start


@dataclass(frozen=True)
class Planned:
    """One request: the verb, the text after /crm, who sends it, and a log's unique summary."""

    verb: str
    text: str
    user: str
    summary: str | None = None


@dataclass(frozen=True)
class Outcome:
    """What came back: HTTP status (0 for a transport error), ms, answered in the ack or later."""

    planned: Planned
    status: int
    ms: float
    in_ack: bool
    problem: str = ""

    @property
    def slow_path(self) -> bool:
        """Acknowledged with "Working on it…", the answer to follow through response_url."""
        return self.status == 200 and not self.in_ack


def plan_requests(names: list[str], count: int, tag: str) -> list[Planned]:
    """`count` requests in the MIX proportions, each naming a different random customer."""
    rng = random.Random(chat_latency.SEED + 5)
    taken = {normalize_name(name) for name in names}
    verbs = [verb for verb, share in MIX.items() for _ in range(round(share * count))]
    verbs = (verbs + ["customer"] * count)[:count]
    rng.shuffle(verbs)
    plan, seen = [], Counter()
    for n, (verb, i) in enumerate(zip(verbs, rng.sample(range(len(names)), count), strict=True)):
        name, user, other = names[i], USERS[n % len(USERS)], seen[verb] % 2 == 1
        seen[verb] += 1
        if verb == "customer":  # every other one with a typo, for the fuzzy path
            plan.append(
                Planned(verb, f"customer {with_typo(name, rng, taken) if other else name}", user)
            )
        elif verb == "find":  # "find Hartley" or "find Hartley Logi"
            words = [word for word in name.split() if word.isalpha()]
            partial = words[0] if other or len(words) < 2 else f"{words[0]} {words[1][:4]}"
            plan.append(Planned(verb, f"find {partial}", user))
        elif verb == "follow-ups":
            plan.append(Planned(verb, "follow-ups", user))
        else:
            summary = f"renewal talk, slack-http run {tag} request {n:04d}"
            plan.append(Planned(verb, f"log call with {name}: {summary}", user, summary))
    return plan


def with_typo(name: str, rng: random.Random, taken: set[str]) -> str:
    """chat_latency's one-letter typo, or the name itself when it has no word long enough."""
    try:
        return chat_latency.typo(name, rng, taken)
    except (ValueError, IndexError):
        return name


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def crm_serve(
    url: str, slack: SlackEmulator, workers: int, log: Path, threads: int | None = None
) -> Iterator[tuple[str, int]]:
    """`crm serve` on a free port for the database at `url`; yields its /slack/events URL and
    the process id of gunicorn's master."""
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
            [*command, "--workers", str(workers)]
            + (["--threads", str(threads)] if threads else []),
            env=env,
            cwd=ROOT,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_healthy(f"http://127.0.0.1:{port}/healthz", server, log)
        yield f"http://127.0.0.1:{port}/slack/events", server.pid
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
    except (OSError, http.client.HTTPException) as exc:  # refused, reset, timed out, garbled
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
    slow = [f"q{n}" for n, o in enumerate(outcomes) if o.slow_path]
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


def stored_once(url: str, outcomes: list[Outcome]) -> tuple[int, int, Counter, int]:
    """Log summaries stored exactly once, logs sent, {count: summaries} of the others, and how
    many logs are stored although their request got an error reply."""
    summaries = [o.planned.summary for o in outcomes if o.planned.summary]
    counts: Counter = Counter()
    with db.open_engine(url).connect() as connection:
        for start in range(0, len(summaries), 500):
            rows = connection.execute(
                select(Interaction.summary, func.count())
                .where(Interaction.team_id == TEAM)
                .where(col(Interaction.summary).in_(summaries[start : start + 500]))
                .group_by(col(Interaction.summary))
            )
            counts.update(dict(rows.all()))
    once = sum(1 for summary in summaries if counts[summary] == 1)
    wrong = Counter(counts[summary] for summary in summaries if counts[summary] != 1)
    refused = sum(
        1 for o in outcomes if o.planned.summary and o.status != 200 and counts[o.planned.summary]
    )
    return once, len(summaries), wrong, refused


def percentiles(values: list[float]) -> list[float]:
    return [float(v) for v in np.percentile(values, [50, 95, 99])] if values else [0.0] * 3


def server_log(log: Path) -> list[str]:
    """What gunicorn's log says: statuses and server-side times, warnings, errors, tracebacks."""
    content = log.read_text(errors="replace")
    served = re.findall(r'"POST /slack/events" (\d{3}) ([\d.]+)s', content)
    p50, _, p99 = percentiles([float(seconds) * 1000 for _, seconds in served])
    statuses = dict(Counter(status for status, _ in served))
    said = Counter(
        re.sub(r"\d+", "N", line.strip())[:150]
        for line in content.splitlines()
        if re.match(r"(WARNING|ERROR|CRITICAL)\b", line)
    )
    tracebacks = content.count("Traceback (most recent call last)")
    notes = [
        f"statuses {statuses}, server-side request time p50 {p50:.1f} ms, p99 {p99:.1f} ms",
        f"{said.total()} warning/error lines, {tracebacks} tracebacks",
    ]
    return notes + [f"x{count}: {line}" for line, count in said.most_common(4)]


def own_cpu_seconds() -> float:
    """CPU time used so far by this process: the senders' and the emulator's threads."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def cpu_seconds(pid: int) -> float:
    """CPU time used so far by a running process and its descendants (Linux /proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:  # it exited meanwhile
        return 0.0
    own = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime
    return own + sum(cpu_seconds(int(child)) for child in children)


def measure(url: str, label: str, plan: list[Planned], args: Namespace) -> list[str]:
    """Serve the database at `url`, send the plan, check the logs; the summary table's line."""
    db.open_engine(url).dispose()  # migrate here, not in two gunicorn workers at once
    with tempfile.TemporaryDirectory(prefix="crm_bench_http_") as folder, SlackEmulator() as slack:
        log = Path(f"{args.server_log or Path(folder) / 'server'}.{label}.log")
        with crm_serve(url, slack, args.workers, log, args.threads) as (events_url, server):
            server_cpu, own_cpu = cpu_seconds(server), own_cpu_seconds()
            outcomes, seconds = send_all(events_url, slack, plan, args.concurrency)
            server_cpu, own_cpu = cpu_seconds(server) - server_cpu, own_cpu_seconds() - own_cpu
            slow_note = slow_answers(slack, outcomes)
        for note in server_log(log):
            print(f"  {label}: server log: {note}")
    print(
        f"  {label}: CPU while sending ({seconds:.1f} s, {os.cpu_count()} cores): server "
        f"{server_cpu:.1f} s ({server_cpu / len(plan) * 1000:.0f} ms a request), this process "
        f"(senders and emulator) {own_cpu:.1f} s"
    )
    report(label, outcomes, slow_note, stored_once(url, outcomes))
    errors = sum(1 for o in outcomes if o.status != 200)
    p50, p95, p99 = percentiles([o.ms for o in outcomes])
    verdict = "PASS" if p99 < TARGET_P99_MS and not errors else "FAIL"
    return [label, f"{len(outcomes):,}", str(args.concurrency), str(args.workers), str(errors),
            f"{p50:.1f}", f"{p95:.1f}", f"{p99:.1f}", f"{len(outcomes) / seconds:.1f}",
            f"{p99 / TARGET_P99_MS:.2f}", verdict]  # fmt: skip


def report(label: str, outcomes: list[Outcome], slow_note: str, logs: tuple) -> None:
    """Per-verb latencies, the slow path, cold start, the slowest, errors, and the log check."""
    lines = []
    for verb in MIX:
        mine = [o for o in outcomes if o.planned.verb == verb]
        p50, p95, p99 = percentiles([o.ms for o in mine])
        errors, slow = sum(o.status != 200 for o in mine), sum(o.slow_path for o in mine)
        lines.append(
            [label, verb, str(len(mine)), str(errors), f"{p50:.1f}", f"{p95:.1f}", f"{p99:.1f}",
             f"{max((o.ms for o in mine), default=0):.1f}", str(len(mine) - errors - slow),
             str(slow)]
        )  # fmt: skip
    print()
    header = ["backend", "verb", "n", "errors", "p50 ms", "p95 ms", "p99 ms", "max ms"]
    print_table([*header, "in ack", "response_url"], lines)
    answered, slow = sum(o.status == 200 for o in outcomes), sum(o.slow_path for o in outcomes)
    print(f"  {label}: answered in the ack {answered - slow}, via response_url (slow path) "
          f"{slow}: {slow_note}")  # fmt: skip
    later = outcomes[WARM_AFTER:]
    p50, p95, p99 = percentiles([o.ms for o in later])
    print(f"  {label}: after the first {WARM_AFTER} requests: p50 {p50:.1f}, p95 {p95:.1f}, "
          f"p99 {p99:.1f} ms, {sum(o.status != 200 for o in later)} errors")  # fmt: skip
    slowest = sorted(enumerate(outcomes), key=lambda pair: -pair[1].ms)[:5]
    described = ", ".join(f"#{n} {o.planned.verb} {o.ms:.0f} ms" for n, o in slowest)
    print(f"  {label}: slowest (#n = n-th request sent): {described}")
    for problem, count in Counter(o.problem for o in outcomes if o.problem).most_common(5):
        where = [n for n, o in enumerate(outcomes) if o.problem == problem]
        print(f"  {label}: error x{count} (requests #{where[0]}-#{where[-1]}): {problem}")
    once, sent, wrong, refused = logs
    verdict = "PASS" if once == sent else "FAIL"
    others = f"; stored count -> requests: {dict(wrong)}" if wrong else ""
    print(f"  {label}: log check: {once} of {sent} unique summaries stored exactly once{others}"
          f" -> {verdict}")  # fmt: skip
    if refused:
        print(f"  {label}: {refused} of those logs are stored although their request got an error")
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
    with fresh_postgres(admin_url, "crm_bench_http") as url:
        started = time.perf_counter()
        chat_latency.generate(url, SIZES)
        print(f"  postgresql: generated {make_url(url).database} in "
              f"{time.perf_counter() - started:.0f} s")  # fmt: skip
        yield url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1_000)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2, help="crm serve --workers")
    parser.add_argument("--threads", type=int, help="crm serve --threads (default: its own)")
    parser.add_argument("--postgres-url", default=os.environ.get("CRM_TEST_POSTGRES_URL"))
    parser.add_argument("--no-sqlite", action="store_true", help="measure PostgreSQL only")
    parser.add_argument("--server-log", help="keep crm serve's output in PATH.<backend>.log")
    args = parser.parse_args()

    print_header(f"load average {os.getloadavg()[0]:.2f}")
    tag = secrets.token_hex(4)
    plan = plan_requests(chat_latency.company_names(SIZES[0], random.Random(chat_latency.SEED)),
                         args.requests, tag)  # fmt: skip
    print(f"  mix: {dict(Counter(p.verb for p in plan))}, run tag {tag}")
    lines: list[list[str]] = []
    if not args.no_sqlite:
        with sqlite_copy() as url:
            lines.append(measure(url, "sqlite", plan, args))
    problem = postgres_problem(args.postgres_url)
    if problem:
        print(f"PostgreSQL not measured: {problem}")
    else:
        with postgres_copy(args.postgres_url) as url:
            lines.append(measure(url, "postgresql", plan, args))
    header = ["backend", "requests", "concurrency", "workers", "errors", "p50 ms", "p95 ms"]
    print_table([*header, "p99 ms", "req/s", "p99/300ms", "verdict"], lines)
    print(f"load average at the end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
