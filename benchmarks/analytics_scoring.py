"""Benchmark issue 4's targets: CLV scoring of 1,000,000 customers against naive lifetimes.

Targets, on each backend, both pipelines measured in the same run:

- "ours" (exactly what `crm analytics refresh` runs: `refresh_scores` inside `db.unit_of_work`
  with the default settings, so analytics.model auto and its holdout check, every customer's
  aggregates built from the purchases and read, the weighted fits, the predictions written back
  per pattern with the tops of the rankings and the totals, and committed) is at least 10x
  faster than the naive lifetimes pipeline and peaks at most at a third of its memory; also
  shown: "ours, model bgnbd" (the same with the naive pipeline's model, no check) and
  "ours, 2nd refresh" (aggregates current, auto's pick reused);
- the BG/NBD (r, alpha, a, b) and Gamma-Gamma (p, q, v) parameters of "ours, model bgnbd"
  agree with the naive ones within 1e-4 relative;
- `clv top 10` and `churn`, answered from the stored scores through the chat path
  (`dispatch` + `render_message`, source "slack", which never refits), have p95 < 100 ms.

The naive pipeline, in the same time unit (weeks): every purchase of the team into a DataFrame
with `pandas.read_sql`, `summary_data_from_transaction_data`, unweighted `BetaGeoFitter` and
`GammaGammaFitter` fits, then `customer_lifetime_value` (12 months, 1% a month) and
`conditional_probability_alive` for every customer. Its results are not written anywhere.

The data simulates the BG/NBD process itself (lifetimes' `generate_data` is broken): first
purchases spread over the 78 weeks before the observation end, a Poisson purchase rate
lambda ~ Gamma(r, alpha) a week, a drop-out probability p ~ Beta(a, b) after every repeat
purchase, and Gamma-Gamma order values. It is generated from a fixed seed; the SQLite file is
cached in benchmarks/out/ by size and seed, PostgreSQL gets a fresh `crm_bench_analytics_<hex>`
database, dropped at the end. Every pipeline run is a fresh child process reporting its own peak
RSS (VmHWM; see peak_kib for why not ru_maxrss); every "ours" run starts from a fresh copy of
the generated database. The product code (crm_core, commands, reports) is copied at the start
and the copy is what runs, so commits made meanwhile cannot mix versions within one run.

    .venv/bin/python benchmarks/analytics_scoring.py [--customers N] [--repeat R]
        [--postgres-url URL] [--no-sqlite] [--profile]
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import hashlib
import io
import json
import os
import pstats
import resource
import secrets
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
from bench_report import postgres_problem, print_header, print_table

OUT = Path(__file__).resolve().parent / "out"
ROOT = Path(__file__).resolve().parent.parent
PRODUCT = ("crm_core", "commands", "reports")  # the code measured, edited by others meanwhile
SEED = 20240604
TEAM = "TBENCH"
END = datetime(2026, 1, 1, tzinfo=UTC)  # the observation end; every purchase is before it
WEEK = 7 * 86_400
HISTORY_WEEKS = 78  # first purchases are spread uniformly over this many weeks before END
# CDNOW-like shapes (Fader, Hardie & Lee 2005 found r 0.243, a 0.793, b 2.426) with a faster
# rate (alpha 0.45 rather than 4.4) so the mean is ~5 purchases a customer, the first included.
BG_TRUE = {"r": 0.25, "alpha": 0.45, "a": 0.8, "b": 2.4}
GG_TRUE = {"p": 6.25, "q": 3.74, "v": 15.44}  # CDNOW's Gamma-Gamma (Fader & Hardie 2013)
CHUNK = 200_000
TARGET_SPEEDUP = 10.0  # naive seconds / ours seconds, at least
TARGET_MEMORY = 1 / 3  # ours peak / naive peak, at most
TARGET_PARAMETERS = 1e-4  # relative difference of every parameter, at most
TARGET_CHAT_MS = 100.0  # p95 of `clv top 10` and `churn`
CHAT_VERBS = {"clv top 10": "ClvTop", "churn": "ChurnList"}
PARAMETERS = [("r", "bg_r"), ("alpha", "bg_alpha"), ("a", "bg_a"), ("b", "bg_b")]
PARAMETERS += [("p", "gg_p"), ("q", "gg_q"), ("v", "gg_v")]


# --- the data --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Purchases:
    """Simulated purchases, ordered by time: customer index (0-based), epoch seconds, cents."""

    customers: int
    customer: np.ndarray
    seconds: np.ndarray
    cents: np.ndarray
    first_seconds: np.ndarray  # each customer's first purchase (when they were added)


def simulate(customers: int, seed: int = SEED) -> Purchases:
    """The BG/NBD purchase process and Gamma-Gamma order values, vectorized over customers.

    Time runs in weeks from each customer's first purchase. While alive, a customer's next
    purchase comes after an exponential gap of mean 1/lambda; purchases at or after the
    observation end are not seen; after each repeat purchase the customer drops out with
    probability p. Each round draws the next purchase of every customer still going.
    """
    rng = np.random.default_rng(seed)
    end = int(END.timestamp())
    offset = rng.integers(1, HISTORY_WEEKS * WEEK + 1, size=customers)  # seconds before END
    first = end - offset
    age = offset / WEEK  # T in weeks
    rate = rng.gamma(BG_TRUE["r"], 1 / BG_TRUE["alpha"], size=customers)
    dropout = rng.beta(BG_TRUE["a"], BG_TRUE["b"], size=customers)
    going, elapsed = np.arange(customers), np.zeros(customers)
    who, when = [np.arange(customers)], [np.zeros(customers)]
    while going.size:
        later = elapsed[going] + rng.exponential(1 / rate[going])
        seen = later < age[going]
        going, later = going[seen], later[seen]
        who.append(going)
        when.append(later)
        elapsed[going] = later
        going = going[rng.random(going.size) >= dropout[going]]
    customer = np.concatenate(who)
    seconds = first[customer] + np.floor(np.concatenate(when) * WEEK).astype(np.int64)
    # Gamma-Gamma: a customer's mean order value p/nu with nu ~ Gamma(q, rate v), each order
    # ~ Gamma(p, rate nu); in cents, at least one.
    nu = rng.gamma(GG_TRUE["q"], 1 / GG_TRUE["v"], size=customers)
    dollars = rng.gamma(GG_TRUE["p"], 1 / nu[customer])
    cents = np.maximum(np.round(dollars * 100), 1).astype(np.int64)
    order = np.argsort(seconds, kind="stable")  # ids follow time, as purchases arrive
    return Purchases(customers, customer[order], seconds[order], cents[order], first)


def stamps(seconds: np.ndarray) -> list[str]:
    """'YYYY-MM-DD HH:MM:SS' (UTC) for epoch seconds."""
    text = np.datetime_as_string(seconds.astype("datetime64[s]"), unit="s")
    return [s.replace("T", " ") for s in text.tolist()]


def customer_rows(data: Purchases) -> Iterator[tuple[int, list[str], list[str], list[str]]]:
    """Chunks of (first index, names, normalized names, created_at stamps)."""
    for start in range(0, data.customers, CHUNK):
        numbers = range(start + 1, min(start + CHUNK, data.customers) + 1)
        names = [f"Bench Customer {i:07d}" for i in numbers]
        # normalize_name gives exactly this for these names (checked below on a few).
        normalized = [name.lower() for name in names]
        yield start, names, normalized, stamps(data.first_seconds[start : start + CHUNK])


def check_names() -> None:
    from crm_core.names import normalize_name

    for name in ("Bench Customer 0000001", "Bench Customer 1000000"):
        assert normalize_name(name) == name.lower(), normalize_name(name)


def fill_sqlite(path: Path, data: Purchases) -> None:
    """Create the schema with db.open_engine, then bulk insert with sqlite3's executemany."""
    from crm_core import db

    check_names()
    engine = db.open_engine(f"sqlite:///{path}")
    engine.dispose()
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA synchronous=OFF")
    for start, names, normalized, created in customer_rows(data):
        connection.executemany(
            "INSERT INTO customer (team_id, name, normalized_name, external_id, created_at, "
            "updated_at) VALUES (?, ?, ?, ?, ?, ?)",
            [
                (TEAM, name, key, f"C{start + k + 1:07d}", f"{at}.000000", f"{at}.000000")
                for k, (name, key, at) in enumerate(zip(names, normalized, created, strict=True))
            ],
        )
    connection.commit()
    for start in range(0, len(data.customer), CHUNK):
        part = slice(start, start + CHUNK)
        at = stamps(data.seconds[part])
        rows = [
            (TEAM, c + 1, f"{t}.000000", cents / 100, "USD", f"P{start + k + 1:08d}", f"{t}.000000")
            for k, (c, t, cents) in enumerate(
                zip(data.customer[part].tolist(), at, data.cents[part].tolist(), strict=True)
            )
        ]
        connection.executemany(
            "INSERT INTO purchase (team_id, customer_id, purchased_at, amount, currency, "
            "external_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        connection.commit()
    check_counts(connection.execute, data)
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.close()


def fill_postgres(url: str, data: Purchases) -> None:
    """Create the schema with db.open_engine, then COPY the rows in, then ANALYZE."""
    from sqlalchemy import text

    from crm_core import db

    check_names()
    engine = db.open_engine(url)
    with engine.connect() as connection:
        raw = connection.connection.driver_connection
        with raw.cursor() as cursor:
            copy_columns = "team_id, name, normalized_name, external_id, created_at, updated_at"
            with cursor.copy(f"COPY customer ({copy_columns}) FROM STDIN") as copy:
                for start, names, normalized, created in customer_rows(data):
                    copy.write(
                        "".join(
                            f"{TEAM}\t{name}\t{key}\tC{start + k + 1:07d}\t{at}+00\t{at}+00\n"
                            for k, (name, key, at) in enumerate(
                                zip(names, normalized, created, strict=True)
                            )
                        )
                    )
            copy_columns = "team_id, customer_id, purchased_at, amount, currency, external_id, "
            copy_columns += "created_at"
            with cursor.copy(f"COPY purchase ({copy_columns}) FROM STDIN") as copy:
                for start in range(0, len(data.customer), CHUNK):
                    part = slice(start, start + CHUNK)
                    at = stamps(data.seconds[part])
                    copy.write(
                        "".join(
                            f"{TEAM}\t{c + 1}\t{t}+00\t{cents // 100}.{cents % 100:02d}\tUSD\t"
                            f"P{start + k + 1:08d}\t{t}+00\n"
                            for k, (c, t, cents) in enumerate(
                                zip(
                                    data.customer[part].tolist(),
                                    at,
                                    data.cents[part].tolist(),
                                    strict=True,
                                )
                            )
                        )
                    )
        raw.commit()  # the COPYs ran on the driver's connection, outside SQLAlchemy's view
    with engine.connect() as connection:
        check_counts(lambda sql: connection.exec_driver_sql(sql), data)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        # What autovacuum does within a minute or so of a bulk insert (PostgreSQL 13+ vacuums
        # after inserts too): statistics, and the visibility map that lets index-only scans
        # (the aggregates' build) skip the table.
        connection.execute(text("VACUUM ANALYZE"))
    engine.dispose()


def check_counts(execute: Callable, data: Purchases) -> None:
    """Customer ids must be 1..N in order (purchases refer to them by position)."""
    count, lowest, highest = execute("SELECT COUNT(*), MIN(id), MAX(id) FROM customer").fetchone()
    assert (count, lowest, highest) == (data.customers, 1, data.customers), (count, lowest)
    (purchases,) = execute("SELECT COUNT(*) FROM purchase").fetchone()
    assert purchases == len(data.customer), purchases


def sqlite_file(data: Purchases) -> Path:
    """The generated SQLite database, made once per size, seed and schema (benchmarks/out/)."""
    from crm_core import db

    # By schema revision too: the refresh reads through the purchase indexes the schema has.
    name = f"analytics_{data.customers}c_{len(data.customer)}p_seed{SEED}_{db.head_revision()}.db"
    path = OUT / name
    if path.exists():
        print(f"  sqlite: generated database cached in {path.relative_to(OUT.parent.parent)}")
        return path
    OUT.mkdir(exist_ok=True)
    partial = path.with_suffix(".partial")
    for leftover in (partial, Path(f"{partial}-wal"), Path(f"{partial}-shm")):
        leftover.unlink(missing_ok=True)
    started = time.perf_counter()
    fill_sqlite(partial, data)
    partial.rename(path)
    size = path.stat().st_size / 2**20
    took = time.perf_counter() - started
    print(f"  sqlite: generated {path.name} in {took:.0f} s ({size:,.0f} MB)")
    return path


# --- the children: one measured pipeline each ------------------------------------------------


def peak_kib() -> int:
    """This process's peak resident set (VmHWM), in KiB.

    Not ru_maxrss: Linux folds the parent's high-water mark into a child's ru_maxrss when the
    child (vforked by subprocess) calls exec, so a child of this 500+ MB parent would report
    at least the parent's peak. VmHWM belongs to the child's own memory map.
    """
    status = Path("/proc/self/status").read_text()
    return int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:")))


def maxrss_kib() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def child_ours(url: str, model: str = "auto") -> dict:
    """`crm analytics refresh`, as the CLI runs it, with END as now and analytics.model."""
    from crm_core import db
    from crm_core.analytics.scoring import refresh_scores
    from crm_core.settings import AnalyticsSettings

    engine = db.open_engine(url)
    before = peak_kib()
    started = time.perf_counter()
    with db.unit_of_work(engine) as session:
        settings = AnalyticsSettings(model=model)
        fit = refresh_scores(session, team_id=TEAM, settings=settings, now=END)
    seconds = time.perf_counter() - started
    peak = peak_kib()
    engine.dispose()
    names = [
        "method",
        "reason",
        "model",
        "model_reason",
        "customers",
        "purchases",
        "repeat_customers",
        "unique_patterns",
    ]
    names += ["gg_customers", "bg_converged", "gg_converged", "seconds"]
    names += [column for _, column in PARAMETERS]
    fit_fields = {name: getattr(fit, name, None) for name in names}
    result = {"seconds": seconds, "peak_kib": peak, "before_kib": before, "fit": fit_fields}
    return result | {"maxrss_kib": maxrss_kib(), "code": db.__file__}


def child_naive(url: str, out: str) -> dict:
    """All purchases into pandas, lifetimes' summary, unweighted fits, CLV and P(alive)."""
    from sqlalchemy import create_engine, text

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # lifetimes sets a pandas option pandas 3 deprecates
        from lifetimes import BetaGeoFitter, GammaGammaFitter
        from lifetimes.utils import summary_data_from_transaction_data

    engine = create_engine(url)
    before = peak_kib()
    stages: dict[str, float] = {}
    clock = time.perf_counter()

    def stage(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        stages[name] = now - clock
        clock = now

    started = clock
    with warnings.catch_warnings():
        # "Converting to Period representation will drop timezone information": all UTC.
        warnings.simplefilter("ignore", UserWarning)
        purchases = pd.read_sql(
            text("SELECT customer_id, purchased_at, amount FROM purchase WHERE team_id = :team_id"),
            engine,
            params={"team_id": TEAM},
            parse_dates={"purchased_at": {"utc": True}},
        )
        stage("read_sql")
        summary = summary_data_from_transaction_data(
            purchases,
            "customer_id",
            "purchased_at",
            monetary_value_col="amount",
            freq="W",
            observation_period_end=END,
        )
        stage("summary")
        f, r, t, m = (summary[c] for c in ("frequency", "recency", "T", "monetary_value"))
        bgf = BetaGeoFitter().fit(f, r, t)
        stage("BetaGeoFitter.fit")
        repeat = summary[(f > 0) & (m > 0)]
        ggf = GammaGammaFitter().fit(repeat["frequency"], repeat["monetary_value"])
        stage("GammaGammaFitter.fit")
        clv = ggf.customer_lifetime_value(bgf, f, r, t, m, time=12, discount_rate=0.01, freq="W")
        stage("customer_lifetime_value")
        alive = bgf.conditional_probability_alive(f, r, t)
        stage("conditional_probability_alive")
    seconds = time.perf_counter() - started
    peak = peak_kib()
    engine.dispose()
    np.savez(
        out,
        customer_id=summary.index.to_numpy(dtype=np.int64),
        clv=np.asarray(clv, dtype=float),
        p_alive=np.asarray(alive, dtype=float),
    )
    params = {name: float(bgf.params_[name]) for name in ("r", "alpha", "a", "b")}
    params.update({name: float(ggf.params_[name]) for name in ("p", "q", "v")})
    return {
        "seconds": seconds,
        "peak_kib": peak,
        "before_kib": before,
        "maxrss_kib": maxrss_kib(),
        "stages": stages,
        "params": params,
        "customers": len(summary),
        "purchases": len(purchases),
    }


def child_chat(url: str, requests: str, warmup: str, profile: str) -> dict:
    """`clv top 10` and `churn` through dispatch + render_message, from a Slack user.

    With `profile` "1", a verb whose p95 misses the target gets one request with each SQL
    statement timed, and 20 requests under cProfile.
    """
    from zoneinfo import ZoneInfo

    from commands import Actor, Backend, dispatch
    from crm_core import db
    from crm_core.settings import Settings
    from reports.chat import render_message

    engine = db.open_engine(url)
    backend = Backend(engine, Settings(database_url=url, team_id=TEAM))
    actor = Actor(team_id=TEAM, user_id="U0BENCH01", tz=ZoneInfo("UTC"), source="slack", now=END)
    verbs = {}
    for typed, expected in CHAT_VERBS.items():
        times, kinds, sample = [], Counter(), ""
        for i in range(int(warmup) + int(requests)):
            started = time.perf_counter()
            answer = dispatch(typed, actor, backend)
            message = render_message(answer, actor.tz)
            elapsed = (time.perf_counter() - started) * 1000
            assert message["text"] and message["blocks"], "an empty Slack message"
            if i >= int(warmup):
                times.append(elapsed)
                kinds[type(answer.result).__name__] += 1
            if not sample:
                sample = describe_answer(answer.result)
        p50, p95 = np.percentile(times, [50, 95])
        verbs[typed] = {"p50": p50, "p95": p95, "max": max(times), "n": len(times)}
        verbs[typed].update(ok=kinds[expected], kinds=dict(kinds), sample=sample[:800])
        if profile == "1" and p95 >= TARGET_CHAT_MS:
            statements = statement_timer(engine)
            render_message(dispatch(typed, actor, backend), actor.tz)
            verbs[typed]["statements"] = list(statements)
            statements.clear()
            profiler = cProfile.Profile()
            profiler.enable()
            for _ in range(20):
                render_message(dispatch(typed, actor, backend), actor.tz)
            profiler.disable()
            verbs[typed]["profile"] = profile_text(profiler, 25, 12)
    engine.dispose()
    return verbs


def statement_timer(engine) -> list[list]:
    """[statement, seconds] for every statement SQLAlchemy sends from now on (execute only:
    rows fetched afterwards are not counted; the driver-level bulk writes are not seen)."""
    from sqlalchemy import event

    timings: list[list] = []

    def before(connection, cursor, statement, parameters, context, executemany) -> None:
        connection.info.setdefault("bench_started", []).append(time.perf_counter())

    def after(connection, cursor, statement, parameters, context, executemany) -> None:
        seconds = time.perf_counter() - connection.info["bench_started"].pop()
        timings.append([" ".join(statement.split())[:160], seconds])

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    return timings


def profile_text(profiler: cProfile.Profile, cumulative: int, own: int) -> str:
    buffer = io.StringIO()
    stats = pstats.Stats(profiler, stream=buffer)
    stats.sort_stats("cumulative").print_stats(cumulative)
    stats.sort_stats("tottime").print_stats(own)
    return buffer.getvalue()


def describe_answer(result: object) -> str:
    """A line about a chat answer: its type, its first row and its totals."""
    rows = getattr(result, "values", None) or getattr(result, "items", None) or []
    text = f"{type(result).__name__}: {len(rows)} rows"
    if rows:
        first = getattr(rows[0], "value", rows[0])
        text += f"; first {first.name!r} CLV {first.clv:,.2f}, P(alive) {first.p_alive:.3f}, "
        text += f"value at risk {first.value_at_risk:,.2f}"
        if hasattr(rows[0], "reason"):
            text += f", reason {rows[0].reason}"
    if hasattr(result, "totals"):
        text += f"; totals {result.totals}"
    if hasattr(result, "message"):
        text += f": {result.message}"
    return text


# Functions the refresh calls, timed one by one by the `stages` profile (where they exist:
# the product code changes).
STAGES = [
    ("crm_core.purchase_summaries", "is_current"),
    ("crm_core.purchase_summaries", "rebuild"),
    ("crm_core.analytics.patterns", "_aggregates"),
    ("crm_core.analytics.patterns", "_condensed"),
    ("crm_core.analytics.scoring", "_model_predictions"),
    ("crm_core.analytics.clv_models", "fit_bgnbd"),
    ("crm_core.analytics.patterns", "spends"),
    ("crm_core.analytics.clv_models", "fit_gamma_gamma"),
    ("crm_core.analytics.clv_models", "probability_alive"),
    ("crm_core.analytics.clv_models", "discounted_expected_purchases"),
    ("crm_core.analytics.patterns", "write_predictions"),
    ("crm_core.analytics.scoring", "_rank_and_total"),
    ("crm_core.analytics.rankings", "write"),
    ("crm_core.analytics.writing", "bulk_insert"),
    ("sqlmodel.orm.session", "Session.commit"),
]


def child_profile(url: str, how: str) -> dict:
    """One refresh with each stage timed (seconds, RSS high-water after it), or under cProfile."""
    import importlib

    from crm_core import db
    from crm_core.analytics.scoring import refresh_scores
    from crm_core.settings import AnalyticsSettings

    timings: list[list] = []
    if how == "stages":
        for module_name, attribute in STAGES:
            owner = importlib.import_module(module_name)
            *path, name = attribute.split(".")
            for part in path:
                owner = getattr(owner, part)
            original = getattr(owner, name, None)
            if original is None:
                continue

            def timed(*args, _original=original, _label=f"{module_name}.{attribute}", **kwargs):
                started = time.perf_counter()
                try:
                    return _original(*args, **kwargs)
                finally:
                    timings.append([_label, time.perf_counter() - started, peak_kib() / 1024])

            setattr(owner, name, timed)
    engine = db.open_engine(url)
    statements = statement_timer(engine) if how == "stages" else []
    profiler = cProfile.Profile() if how == "cprofile" else None
    before = peak_kib() / 1024
    started = time.perf_counter()
    if profiler:
        profiler.enable()
    with db.unit_of_work(engine) as session:
        refresh_scores(session, team_id=TEAM, settings=AnalyticsSettings(), now=END)
    if profiler:
        profiler.disable()
    seconds = time.perf_counter() - started
    report = profile_text(profiler, 35, 20) if profiler else ""
    slow = [[text, s] for text, s in statements if s >= 0.05]
    return {"seconds": seconds, "before_mb": before, "peak_mb": peak_kib() / 1024} | {
        "how": how,
        "stages": timings,
        "statements": slow,
        "report": report,
    }


CHILDREN: dict[str, Callable[..., object]] = {
    "ours": child_ours,
    "naive": child_naive,
    "chat": child_chat,
    "profile": child_profile,
}


def run_child(kind: str, *args: str) -> dict:
    """Run one child in a fresh process; its last stdout line is its JSON result."""
    command = [sys.executable, __file__, "--child", kind, *args]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{kind} child failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# --- the backends ----------------------------------------------------------------------------


@dataclass
class Measured:
    """Everything one backend measured."""

    backend: str
    ours: list[dict]  # first refreshes with analytics.model auto (the default)
    again: list[dict]  # a second refresh on the same database (per-customer aggregates current)
    same_model: list[dict]  # first refreshes with analytics.model bgnbd, the naive's model
    naive: list[dict]
    ours_scores: pd.DataFrame | None = None
    naive_file: Path | None = None
    chat: dict | None = None
    profile: list[dict] | None = None


def read_scores(url: str) -> pd.DataFrame:
    from sqlalchemy import create_engine, select

    from crm_core.analytics.customer_scores import scores

    engine = create_engine(url)
    score = scores(TEAM).c
    frame = pd.read_sql(select(score.customer_id, score.clv, score.p_alive), engine)
    engine.dispose()
    return frame.set_index("customer_id").sort_index()


def measure(
    backend: str,
    base_url: str,
    fresh_copy: Callable[[], contextlib.AbstractContextManager[str]],
    before_chat: Callable[[str], None],
    args: argparse.Namespace,
    folder: Path,
) -> Measured:
    """`--repeat` runs of each pipeline, then the chat verbs on the last refreshed database."""
    result = Measured(backend, [], [], [], [])
    for attempt in range(1, args.repeat + 1):
        with fresh_copy() as url:
            same = run_child("ours", url, "bgnbd")
            result.same_model.append(same)
            print(
                f"  {backend} run {attempt}/{args.repeat}: ours with analytics.model bgnbd "
                f"{same['seconds']:.1f} s, peak {same['peak_kib'] / 1024:.0f} MB; method "
                f"{same['fit']['method']}"
            )
            if result.ours_scores is None:
                result.ours_scores = read_scores(url)
        with fresh_copy() as url:
            ours = run_child("ours", url)
            result.ours.append(ours)
            fit = ours["fit"]
            print(
                f"  {backend} run {attempt}/{args.repeat}: ours {ours['seconds']:.1f} s, "
                f"peak {ours['peak_kib'] / 1024:.0f} MB (after imports "
                f"{ours['before_kib'] / 1024:.0f} MB, ru_maxrss {ours['maxrss_kib'] / 1024:.0f} "
                f"MB); method {fit['method']}, "
                f"{fit['customers']:,} customers, {fit['unique_patterns']:,} unique (x, t_x, T), "
                f"fit.seconds {fit['seconds']}"
            )
            if not ours["code"].startswith(str(folder)):
                print(f"  WARNING: the child ran {ours['code']}, not the copy of the code")
            if fit["model"] == "historic":
                print(f"  WARNING: {backend} fell back to {fit['method']}: {fit['reason']}")
            print(f"  {backend}: {fit['model_reason']}")
            again = run_child("ours", url)
            result.again.append(again)
            print(
                f"  {backend} run {attempt}/{args.repeat}: ours again on the same database "
                f"{again['seconds']:.1f} s, peak {again['peak_kib'] / 1024:.0f} MB"
            )
            if attempt == args.repeat:
                before_chat(url)
                chat_args = (str(args.requests), str(args.warmup), "1" if args.profile else "0")
                result.chat = run_child("chat", url, *chat_args)
        naive_file = folder / f"naive_{backend}_{attempt}.npz"
        naive = run_child("naive", base_url, str(naive_file))
        result.naive.append(naive)
        result.naive_file = result.naive_file or naive_file
        stages = ", ".join(f"{name} {s:.1f}" for name, s in naive["stages"].items())
        print(
            f"  {backend} run {attempt}/{args.repeat}: naive {naive['seconds']:.1f} s, "
            f"peak {naive['peak_kib'] / 1024:.0f} MB (after imports "
            f"{naive['before_kib'] / 1024:.0f} MB, ru_maxrss {naive['maxrss_kib'] / 1024:.0f} "
            f"MB): {stages}"
        )
    if args.profile:
        result.profile = []
        for how in ("stages", "cprofile"):
            with fresh_copy() as url:
                for label in ("first refresh", "2nd refresh"):
                    result.profile.append(run_child("profile", url, how) | {"label": label})
    return result


def run_sqlite(data: Purchases, args: argparse.Namespace, folder: Path) -> Measured:
    cached = sqlite_file(data)

    @contextlib.contextmanager
    def fresh_copy() -> Iterator[str]:
        with tempfile.TemporaryDirectory(prefix="crm_bench_analytics_") as temp:
            shutil.copyfile(cached, f"{temp}/bench.db")
            yield f"sqlite:///{temp}/bench.db"

    # The naive pipeline only reads, so it reads the cached file itself.
    return measure("sqlite", f"sqlite:///{cached}", fresh_copy, lambda url: None, args, folder)


def run_postgres(
    admin_url: str, data: Purchases, args: argparse.Namespace, folder: Path
) -> Measured:
    """Fill a fresh database; each "ours" run gets a copy of it (CREATE DATABASE ... TEMPLATE)."""
    from sqlalchemy import create_engine, make_url, text

    name = f"crm_bench_analytics_{secrets.token_hex(4)}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")

    def url_of(database: str) -> str:
        return make_url(admin_url).set(database=database).render_as_string(hide_password=False)

    def execute(sql: str) -> None:
        with admin.connect() as connection:
            connection.execute(text(sql))

    copies = 0

    @contextlib.contextmanager
    def fresh_copy() -> Iterator[str]:
        nonlocal copies
        copies += 1
        copy = f"{name}_{copies}"
        execute(f'CREATE DATABASE "{copy}" TEMPLATE "{name}" STRATEGY FILE_COPY')
        try:
            yield url_of(copy)
        finally:
            execute(f'DROP DATABASE IF EXISTS "{copy}" WITH (FORCE)')

    def analyze(url: str) -> None:  # the refresh wrote new rows; autovacuum would ANALYZE
        engine = create_engine(url, isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            connection.execute(text("ANALYZE"))
        engine.dispose()

    execute(f'CREATE DATABASE "{name}"')
    try:
        started = time.perf_counter()
        fill_postgres(url_of(name), data)
        with admin.connect() as connection:
            size = connection.execute(text(f"SELECT pg_database_size('{name}')")).scalar_one()
        print(
            f"  postgresql: generated {name} in {time.perf_counter() - started:.0f} s "
            f"({size / 2**20:,.0f} MB)"
        )
        return measure("postgresql", url_of(name), fresh_copy, analyze, args, folder)
    finally:
        execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def snapshot_code(folder: Path) -> tuple[Path, str]:
    """Copy the product code, so every child of this run measures the same version of it.

    Other developers commit while a run takes its half hour; the children import the copy
    (PYTHONPATH comes before the editable install), and so does this process.
    """
    while True:
        state = code_state()
        target = folder / "code"
        shutil.rmtree(target, ignore_errors=True)
        for name in PRODUCT:
            ignore = shutil.ignore_patterns("__pycache__")
            shutil.copytree(ROOT / name, target / name, ignore=ignore)
        if code_state() == state:
            return target, state


def code_state() -> str:
    """The commit and a digest of the product code's files, to notice edits during the run."""
    digest = hashlib.sha256()
    for folder in PRODUCT:
        for path in sorted((ROOT / folder).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                digest.update(str(path.relative_to(ROOT)).encode() + path.read_bytes())

    def git(*words: str) -> str:
        command = ["git", "--no-optional-locks", "-C", str(ROOT), *words]
        return subprocess.run(command, capture_output=True, text=True).stdout.strip()

    changed = git("status", "--porcelain", "--", *PRODUCT).splitlines()
    dirty = f" + uncommitted changes to {len(changed)} files" if changed else ""
    return f"commit {git('rev-parse', '--short', 'HEAD')}{dirty}, files {digest.hexdigest()[:12]}"


# --- the report ------------------------------------------------------------------------------


def median(results: list[dict], key: str) -> float:
    return statistics.median(r[key] for r in results)


def timing_lines(measured: list[Measured]) -> list[list[str]]:
    lines = []
    for m in measured:
        naive_s, naive_mb = median(m.naive, "seconds"), median(m.naive, "peak_kib") / 1024
        naive = m.naive[0]
        rows = [("ours", m.ours), ("ours, model bgnbd", m.same_model)]
        for label, runs in [*rows, ("ours, 2nd refresh", m.again)]:
            seconds, peak = median(runs, "seconds"), median(runs, "peak_kib") / 1024
            speedup, memory = naive_s / seconds, peak / naive_mb
            verdict = speedup >= TARGET_SPEEDUP and memory <= TARGET_MEMORY
            lines.append(
                [m.backend, label, f"{runs[0]['fit']['customers']:,}",
                 f"{runs[0]['fit']['purchases']:,}", f"{seconds:.1f}", f"{peak:,.0f}",
                 f"{speedup:.1f}x", f"{memory:.2f}", "PASS" if verdict else "FAIL"]
            )  # fmt: skip
        lines.append(
            [m.backend, "naive lifetimes", f"{naive['customers']:,}", f"{naive['purchases']:,}",
             f"{naive_s:.1f}", f"{naive_mb:,.0f}", "1.0x", "1.00", "-"]
        )  # fmt: skip
    return lines


def agreement(m: Measured) -> tuple[list[str], str]:
    """Relative parameter differences (a table line), and how the per-customer CLVs compare."""
    fit, params = m.same_model[0]["fit"], m.naive[0]["params"]
    diffs = [abs(fit[column] - params[name]) / abs(params[name]) for name, column in PARAMETERS]
    verdict = "PASS" if max(diffs) <= TARGET_PARAMETERS else "FAIL"
    line = [m.backend, *(f"{d:.1e}" for d in diffs), f"{max(diffs):.1e}", verdict]
    naive = np.load(m.naive_file)
    theirs = pd.DataFrame({"clv": naive["clv"], "p_alive": naive["p_alive"]})
    theirs.index = naive["customer_id"]
    ours = m.ours_scores.reindex(theirs.index)
    finite = np.isfinite(theirs["clv"])
    relative = (ours["clv"][finite] - theirs["clv"][finite]).abs() / theirs["clv"][finite].abs()
    worst = relative.idxmax()
    alive = (ours["p_alive"] - theirs["p_alive"]).abs().max()
    zero = theirs.index[~finite]
    text = (
        f"  {m.backend}: CLV over the {int(finite.sum()):,} customers whose naive CLV is finite: "
        f"max relative difference {relative.max():.1e} (customer {worst}: ours "
        f"{ours['clv'][worst]:.4f}, naive {theirs['clv'][worst]:.4f}), median "
        f"{relative.median():.1e}; naive CLV NaN for {len(zero):,} customers"
    )
    if len(zero):
        stored = m.ours_scores.reindex(zero)
        text += (
            f" (ours: {int(np.isfinite(stored['clv']).sum()):,} of them finite, CLV "
            f"{stored['clv'].min():.2f} to {stored['clv'].max():.2f})"
        )
    text += f"; P(alive) max absolute difference {alive:.1e}; "
    text += f"customers scored: ours {len(m.ours_scores):,}, naive {len(theirs):,}"
    return line, text


def report(measured: list[Measured]) -> None:
    print()
    header = ["backend", "pipeline", "customers", "purchases", "seconds", "peak MB"]
    header += ["naive/ours time", "ours/naive memory", "verdict"]
    print_table(header, timing_lines(measured), left=2)
    print(
        f"\ntargets: naive/ours time >= {TARGET_SPEEDUP:.0f}x and ours/naive peak memory <= "
        f'{TARGET_MEMORY:.2f}. "ours" is one `crm analytics refresh` on a fresh copy of the '
        "generated database (per-customer aggregates built from the purchases, analytics.model "
        "auto's holdout check of three models, fits, predictions per pattern, the rankings' "
        'tops and totals written and committed); "ours, model bgnbd" the same with '
        "analytics.model bgnbd, the naive pipeline's model (no check; its parameters and "
        'scores are the ones compared below); "ours, 2nd refresh" refreshes the "ours" '
        "database again (aggregates current, the previous scores replaced). The naive "
        "pipeline's results are not written to the database. Medians over --repeat runs; peak "
        "MB is the child's own high-water RSS (VmHWM, including the interpreter and its imports; "
        "ru_maxrss would include this parent's peak, see peak_kib)."
    )
    print()
    lines, texts = zip(*(agreement(m) for m in measured), strict=True)
    header = ["backend", *(name for name, _ in PARAMETERS), "max", "verdict"]
    print(
        "relative difference of each parameter, ours with analytics.model bgnbd against naive, "
        "|ours - naive| / |naive| (target <= 1e-4):"
    )
    print_table(header, list(lines), left=1)
    for m in measured:
        fit, params = m.same_model[0]["fit"], m.naive[0]["params"]
        ours = ", ".join(f"{name} {fit[column]:.6g}" for name, column in PARAMETERS)
        naive = ", ".join(f"{name} {params[name]:.6g}" for name, _ in PARAMETERS)
        print(f"  {m.backend}: ours  {ours}\n  {m.backend}: naive {naive}")
    for text in texts:
        print(text)
    print()
    lines = []
    for m in measured:
        for typed, stats in (m.chat or {}).items():
            met = stats["p95"] < TARGET_CHAT_MS and stats["ok"] == stats["n"]
            verdict = "PASS" if met else "FAIL"
            lines.append(
                [m.backend, typed, str(stats["n"]), str(stats["ok"]), f"{stats['p50']:.1f}",
                 f"{stats['p95']:.1f}", f"{stats['max']:.1f}", f"{TARGET_CHAT_MS:.0f}", verdict]
            )  # fmt: skip
            if stats["ok"] != stats["n"]:
                print(f"  {m.backend}: {typed!r} answered {stats['kinds']}")
    print("chat from stored scores (dispatch + render_message, source slack, after the refresh):")
    header = ["backend", "request", "n", "ok", "p50 ms", "p95 ms", "max ms", "target ms"]
    print_table([*header, "verdict"], lines, left=2)
    for m in measured:
        for typed, stats in (m.chat or {}).items():
            print(f"  {m.backend} {typed!r}: {stats['sample']}")
    for m in measured:
        for profile in m.profile or []:
            print(
                f"\n{m.backend}: {profile['label']} profiled ({profile['how']}): "
                f"{profile['seconds']:.1f} s, peak {profile['peak_mb']:.0f} MB (after imports "
                f"{profile['before_mb']:.0f} MB)"
            )
            for label, seconds, peak in profile["stages"]:
                print(f"  {seconds:7.2f} s  peak so far {peak:6.0f} MB  {label}")
            for text, seconds in profile["statements"]:
                print(f"  {seconds:7.2f} s  SQL: {text}")
            if profile["report"]:
                print(profile["report"])
    for m in measured:
        for typed, stats in (m.chat or {}).items():
            if "statements" in stats:
                print(f"\n{m.backend} {typed!r}: the SQL of one request")
                for text, seconds in stats["statements"]:
                    print(f"  {seconds * 1000:8.1f} ms  {text}")
                print(stats["profile"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=1, help="runs per pipeline (median shown)")
    parser.add_argument("--requests", type=int, default=200, help="measured chat requests")
    parser.add_argument("--warmup", type=int, default=10, help="unmeasured chat requests")
    parser.add_argument("--postgres-url", default=os.environ.get("CRM_TEST_POSTGRES_URL"))
    parser.add_argument("--no-sqlite", action="store_true", help="measure PostgreSQL only")
    parser.add_argument(
        "--profile", action="store_true", help="profile refreshes, and chat verbs that miss"
    )
    args = parser.parse_args()

    print_header(f"sqlite {sqlite3.sqlite_version}")
    started = time.perf_counter()
    data = simulate(args.customers)
    counts = np.bincount(data.customer, minlength=data.customers)
    print(
        f"data: {data.customers:,} customers, {len(data.customer):,} purchases "
        f"({len(data.customer) / data.customers:.2f} a customer, {np.mean(counts > 1):.0%} bought "
        f"again, at most {counts.max():,}), simulated in {time.perf_counter() - started:.1f} s; "
        f"BG/NBD {BG_TRUE}, Gamma-Gamma {GG_TRUE}, observation end {END:%Y-%m-%d}"
    )
    measured: list[Measured] = []
    with tempfile.TemporaryDirectory(prefix="crm_bench_analytics_") as temp:
        folder = Path(temp)
        copy, code = snapshot_code(folder)
        sys.path.insert(0, str(copy))
        os.environ["PYTHONPATH"] = os.pathsep.join(
            [str(copy), *filter(None, [os.environ.get("PYTHONPATH")])]
        )
        print(f"code: {code} (a copy of it is what runs)")
        if not args.no_sqlite:
            measured.append(run_sqlite(data, args, folder))
        problem = postgres_problem(args.postgres_url)
        if problem:
            print(f"PostgreSQL not measured: {problem}")
        else:
            source = "--postgres-url" if "--postgres-url" in " ".join(sys.argv) else "env"
            print(f"postgresql: {args.postgres_url} (from {source})")
            try:
                measured.append(run_postgres(args.postgres_url, data, args, folder))
            except Exception as exc:  # report it and still print what SQLite measured
                print(f"PostgreSQL FAILED: {exc}")
        if measured:
            report(measured)
        else:
            print("nothing measured")
    if code_state() != code:
        print(f"\nnote: the product code changed during this run (now {code_state()})")


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "--child":
        print(json.dumps(CHILDREN[sys.argv[2]](*sys.argv[3:]), default=str))
    else:
        main()
