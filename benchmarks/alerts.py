"""Benchmark issue 6's targets: the churn digest at 100,000 customers, and 200 subscriptions
due in the same minute.

1. Digest: `crm_core.alerts.digest.build_digest` plus the Slack message
   (`reports.alerts.digest_message`) for a 100,000-customer workspace whose purchases follow
   the BG/NBD and Gamma-Gamma processes (analytics_scoring.py's `simulate`, ~500,000
   purchases; owners assigned round-robin to 8 reps), its scores stored by one
   `refresh_scores` first (not timed here; issue 4's benchmark times refreshes).
   Three filters: every customer at risk, min value at risk 100, one owner. Target: < 2 s.
2. Delivery: 200 subscriptions of that workspace over 50 channels (4 each), all due at the
   same minute, delivered by two AlertRunners (two engines, as two bot instances would have)
   ticking at once against the Slack Web API emulator (tests/slack_emulator.py) with Slack's
   pace of one post a second per channel. Checked: every subscription posted once (the
   message metadata carries the delivery id), none twice, and the smallest gap between two
   posts to one channel (from the emulator's arrival times) is at least 1 s.

Both run on SQLite (a fresh copy of the database, generated once and cached in
benchmarks/out/) and, with --postgres-url (or CRM_TEST_POSTGRES_URL), on a fresh PostgreSQL
database filled the same way and dropped at the end.

    .venv/bin/python benchmarks/alerts.py [--repeat 5] [--postgres-url URL] [--no-sqlite]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import analytics_scoring
from bench_report import fresh_postgres, postgres_problem, print_header, print_table
from sqlalchemy import text
from sqlmodel import select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.alert_runner import AlertRunner
from bot.client import web_client
from bot.workspaces import Workspaces
from commands.results import AlertDigest
from crm_core import db
from crm_core.alerts.digest import DigestFilter, build_digest
from crm_core.alerts.schedule import Schedule
from crm_core.alerts.subscriptions import subscribe
from crm_core.analytics.customer_scores import scores
from crm_core.analytics.scoring import refresh_scores
from crm_core.settings import Settings
from reports.alerts import digest_message
from tests.slack_emulator import SlackEmulator

CUSTOMERS = 100_000
TEAM = analytics_scoring.TEAM
OWNERS = [f"U0BENCH{i:02d}" for i in range(1, 9)]
OWNER = OWNERS[0]
TARGET_SECONDS = 2.0
SUBSCRIPTIONS, CHANNELS = 200, 50
TOKEN = "xoxb-bench-alerts"
NOW = analytics_scoring.END  # the simulated purchases' observation end


@contextlib.contextmanager
def sqlite_copy(data: analytics_scoring.Purchases) -> Iterator[str]:
    cached = analytics_scoring.sqlite_file(data)
    with tempfile.TemporaryDirectory(prefix="crm_bench_alerts_") as folder:
        shutil.copyfile(cached, f"{folder}/bench.db")
        url = f"sqlite:///{folder}/bench.db"
        try:
            yield prepared(url)
        finally:
            db.open_engine(url).dispose()


@contextlib.contextmanager
def postgres_copy(admin_url: str, data: analytics_scoring.Purchases) -> Iterator[str]:
    with fresh_postgres(admin_url, "crm_bench_alerts") as url:
        analytics_scoring.fill_postgres(url, data)
        yield prepared(url)


def prepared(url: str) -> str:
    """Owners for the customers (round-robin over 8 reps), then the scores stored once."""
    engine = db.open_engine(url)
    with engine.begin() as connection:
        for i, owner in enumerate(OWNERS):
            connection.execute(
                text("UPDATE customer SET owner_user_id = :owner WHERE id % 8 = :i"),
                {"owner": owner, "i": i},
            )
    started = time.perf_counter()
    with db.unit_of_work(engine) as session:
        fit = refresh_scores(session, team_id=TEAM, settings=Settings().analytics, now=NOW)
    print(f"  {engine.dialect.name}: scores refreshed in {time.perf_counter() - started:.1f} s "
          f"({fit.method}, {fit.customers:,} customers; not timed below)")  # fmt: skip
    return url


def digest_rows(url: str, label: str, repeat: int) -> list[list[str]]:
    engine = db.open_engine(url)
    settings = Settings(database_url=url, team_id=TEAM)
    threshold = settings.analytics.churn_risk_threshold
    floor = thousandth_value(engine)
    rows = []
    for name, only in (
        ("every customer", DigestFilter()),
        (f"min value {floor:,.2f}", DigestFilter(min_value_at_risk=floor)),
        (f"owner {OWNER}", DigestFilter(owner_user_id=OWNER)),
    ):
        times, digest = [], None
        for _ in range(repeat):
            started = time.perf_counter()
            with db.unit_of_work(engine) as session:
                digest = build_digest(
                    session, team_id=TEAM, alive_threshold=threshold, now=NOW, only=only
                )
            message = digest_message(AlertDigest(digest, None, threshold), ZoneInfo("UTC"))
            times.append(time.perf_counter() - started)
        assert digest is not None and message["blocks"]
        median = statistics.median(times)
        rows.append(
            [label, name, f"{digest.customers:,}", f"{len(digest.lines)}", f"{median:.3f}",
             f"{max(times):.3f}", f"{median / TARGET_SECONDS:.2f}",
             "PASS" if median < TARGET_SECONDS else "FAIL"]
        )  # fmt: skip
    return rows


def thousandth_value(engine) -> float:
    """The value at risk of the 1,000th most valuable customer: a "min value" that keeps ~1,000."""
    with db.unit_of_work(engine) as session:
        score = scores(TEAM).c
        return float(
            session.exec(
                select(score.value_at_risk)
                .order_by(score.value_at_risk.desc())
                .offset(999)
                .limit(1)
            ).one()
        )


def delivery_row(url: str, label: str) -> list[str]:
    engine = db.open_engine(url)
    settings = Settings(database_url=url, team_id=TEAM)
    local = NOW.astimezone(ZoneInfo("Europe/Paris"))
    schedule = Schedule("daily", f"{local:%H:%M}", "Europe/Paris")
    channels = [f"C0BENCH{i:03d}" for i in range(CHANNELS)]
    floor = thousandth_value(engine)
    with db.unit_of_work(engine) as session:
        for i in range(SUBSCRIPTIONS):
            subscribe(
                session, team_id=TEAM, channel_id=channels[i % CHANNELS], created_by=OWNER,
                schedule=schedule, min_value_at_risk=floor * (i % 5) / 4,
                now=NOW - timedelta(days=1),
            )  # fmt: skip
    with SlackEmulator() as slack:
        slack.tokens.add(TOKEN)
        slack.channels.update({c: {"name": c.lower(), "is_member": True} for c in channels})
        second = db.make_engine(url)
        runners = [
            AlertRunner(
                e,
                settings,
                Workspaces(web_client(token=TOKEN, base_url=slack.base_url)),
                instance=n,
            )
            for e, n in ((engine, "instance-1"), (second, "instance-2"))
        ]
        reports, start = [], threading.Barrier(len(runners))

        def tick(runner: AlertRunner) -> None:
            start.wait()
            reports.append(runner.tick(NOW + timedelta(seconds=5)))

        started = time.perf_counter()
        threads = [threading.Thread(target=tick, args=(r,)) for r in runners]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        seconds = time.perf_counter() - started
        second.dispose()
        posts = [
            c for c in slack.calls_to("chat.postMessage") if c.status == 200 and c.response["ok"]
        ]
        ids = Counter(
            m["metadata"]["event_payload"]["delivery_id"]
            for c in channels
            for m in slack.messages_in(c)
        )
        arrivals = defaultdict(list)
        for call in posts:
            arrivals[call.args["channel"]].append(call.at)
    gaps = [
        later - earlier
        for times in arrivals.values()
        for earlier, later in zip(sorted(times), sorted(times)[1:], strict=False)
    ]
    split = "/".join(str(r.posted) for r in reports)
    twice = sum(1 for n in ids.values() if n > 1)
    ok = len(ids) == SUBSCRIPTIONS and twice == 0 and min(gaps) >= 1.0
    return [label, f"{SUBSCRIPTIONS}", f"{CHANNELS}", f"{len(ids)}", f"{twice}", split,
            f"{min(gaps):.3f}", f"{seconds:.1f}", "PASS" if ok else "FAIL"]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--postgres-url", default=os.environ.get("CRM_TEST_POSTGRES_URL"))
    parser.add_argument("--no-sqlite", action="store_true", help="measure PostgreSQL only")
    args = parser.parse_args()
    print_header(f"load average {os.getloadavg()[0]:.2f}")
    digests, deliveries = [], []
    data = analytics_scoring.simulate(CUSTOMERS)
    print(f"  data: {CUSTOMERS:,} customers, {len(data.customer):,} purchases (simulated)")
    copies = [] if args.no_sqlite else [("sqlite", lambda: sqlite_copy(data))]
    problem = postgres_problem(args.postgres_url)
    if problem:
        print(f"PostgreSQL not measured: {problem}")
    else:
        copies.append(("postgresql", lambda: postgres_copy(args.postgres_url, data)))
    for label, copy in copies:
        with copy() as url:
            digests += digest_rows(url, label, args.repeat)
            deliveries.append(delivery_row(url, label))
    print()
    print_table(
        ["backend", "filter", "at risk", "listed", "median s", "max s", "median/2s", "verdict"],
        digests,
    )
    print()
    print_table(
        ["backend", "subscriptions", "channels", "posted", "twice", "per instance",
         "min gap s", "seconds", "verdict"],
        deliveries,
    )  # fmt: skip
    print(f"load average at the end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
