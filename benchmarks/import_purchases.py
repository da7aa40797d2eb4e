"""Benchmark issue 2's target: import 1,000,000 purchase rows from a CSV file.

Target (SQLite, on this 2-core machine): under 60 s and under 1 GB peak memory. PostgreSQL is
measured too and reported, without a pass/fail verdict.

The measured code is exactly what `crm import purchases FILE` runs: `db.open_engine` on a fresh
database, then `import_csv` inside `db.unit_of_work` (which commits). Each run is a fresh child
process, so its peak RSS is that run's own; the child then imports the same file again into the
same database (the idempotent re-import, which must add 0 rows) and reports both timings.

    .venv/bin/python benchmarks/import_purchases.py [--rows N] [--repeat R] [--postgres-url URL]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
from bench_report import fresh_postgres, postgres_problem, print_header, print_table

OUT = Path(__file__).resolve().parent / "out"
TARGET_SECONDS = 60.0
TARGET_MB = 1024.0
CUSTOMERS = 100_000
SEED = 20240601


def generated_csv(rows: int) -> Path:
    """A deterministic purchases CSV of `rows` rows, cached in benchmarks/out/ by row count."""
    path = OUT / f"purchases_{rows}_seed{SEED}.csv"
    if path.exists():
        return path
    OUT.mkdir(exist_ok=True)
    rng = np.random.default_rng(SEED)
    customers = rng.integers(0, min(CUSTOMERS, rows), size=rows)
    days = rng.integers(0, 3 * 365, size=rows)
    cents = np.round(rng.lognormal(mean=8.5, sigma=1.0, size=rows)).astype(np.int64) + 1
    dates = (np.datetime64("2022-01-01") + days.astype("timedelta64[D]")).astype(str)
    amounts = pd.Series([f"{c // 100}.{c % 100:02d}" for c in cents.tolist()])
    # About 1% written as "$1,234.56" so the currency-symbol and thousands parsing is exercised.
    fancy = rng.random(rows) < 0.01
    cents[fancy] *= 50
    amounts[fancy] = [f"${c // 100:,}.{c % 100:02d}" for c in cents[fancy].tolist()]
    frame = pd.DataFrame(
        {"customer_id": [f"C{c:06d}" for c in customers], "date": dates, "amount": amounts}
    )
    partial = path.with_suffix(".partial")
    frame.to_csv(partial, index=False)
    partial.rename(path)
    return path


def child(url: str, csv_path: str) -> None:
    """Run in the child: import twice into `url`, print timings and peak RSS as JSON."""
    from zoneinfo import ZoneInfo

    from crm_core import db
    from crm_core.importing import import_csv

    def run() -> tuple[float, int, int]:
        started = time.perf_counter()
        with db.unit_of_work(engine) as session:
            summary = import_csv(
                session,
                team_id="TBENCH",
                kind="purchases",
                path=csv_path,
                tz=ZoneInfo("UTC"),
                default_currency="USD",
            )
        return time.perf_counter() - started, summary.added, summary.rows

    engine = db.open_engine(url)
    seconds, added, rows = run()
    peak_first = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    again, added_again, _ = run()
    engine.dispose()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    result = {"seconds": seconds, "rows": rows, "added": added, "reimport_seconds": again}
    result.update(reimport_added=added_again, peak_kib_first=peak_first, peak_kib=peak)
    print(json.dumps(result))


def measure(url: str, csv_path: Path) -> dict:
    """One run in a fresh child process; raises if the child failed."""
    command = [sys.executable, __file__, "--child", url, str(csv_path)]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"child failed ({done.returncode}):\n{done.stderr[-3000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    if result["reimport_added"] != 0:
        print(f"  WARNING: the re-import added {result['reimport_added']} rows (expected 0)")
    return result


def sqlite_run(csv_path: Path) -> dict:
    with tempfile.TemporaryDirectory(prefix="crm_bench_") as folder:
        return measure(f"sqlite:///{folder}/bench.db", csv_path)


def postgres_run(admin_url: str, csv_path: Path) -> dict:
    """One run against a fresh database on the server of `admin_url`, dropped afterwards."""
    with fresh_postgres(admin_url, "crm_bench") as url:
        return measure(url, csv_path)


def summarize(backend: str, results: list[dict]) -> list[str]:
    seconds = statistics.median(r["seconds"] for r in results)
    again = statistics.median(r["reimport_seconds"] for r in results)
    peak = statistics.median(r["peak_kib"] for r in results) / 1024
    rows = results[0]["rows"]
    verdict = "-"
    if backend == "sqlite":
        verdict = "PASS" if seconds < TARGET_SECONDS and peak < TARGET_MB else "FAIL"
    return [
        backend,
        f"{rows:,}",
        f"{seconds:.1f}",
        f"{again:.1f}",
        f"{peak:.0f}",
        f"{rows / seconds:,.0f}",
        f"{seconds / TARGET_SECONDS:.2f}",
        f"{peak / TARGET_MB:.2f}",
        verdict,
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows in the CSV file")
    parser.add_argument("--repeat", type=int, default=3, help="runs per backend (median shown)")
    parser.add_argument("--postgres-url", default=os.environ.get("CRM_TEST_POSTGRES_URL"))
    parser.add_argument("--no-sqlite", action="store_true", help="measure PostgreSQL only")
    args = parser.parse_args()

    print_header()
    started = time.perf_counter()
    csv_path = generated_csv(args.rows)
    print(
        f"data: {csv_path} ({csv_path.stat().st_size / 2**20:.0f} MB, "
        f"ready in {time.perf_counter() - started:.1f} s)"
    )

    backends: list[tuple[str, Callable[[Path], dict]]] = []
    if not args.no_sqlite:
        backends.append(("sqlite", sqlite_run))
    problem = postgres_problem(args.postgres_url)
    if problem:
        print(f"PostgreSQL not measured: {problem}")
    else:
        source = "--postgres-url" if "--postgres-url" in " ".join(sys.argv) else "env"
        print(f"postgresql: {args.postgres_url} (from {source})")
        backends.append(("postgresql", lambda path: postgres_run(args.postgres_url, path)))

    lines = []
    for backend, run in backends:
        results = []
        for attempt in range(1, args.repeat + 1):
            try:
                result = run(csv_path)
            except Exception as exc:  # report the failure and go on with the other backend
                print(f"  {backend} run {attempt}/{args.repeat} FAILED: {exc}")
                break
            results.append(result)
            print(
                f"  {backend} run {attempt}/{args.repeat}: import {result['seconds']:.1f} s, "
                f"re-import {result['reimport_seconds']:.1f} s, added {result['added']:,}, "
                f"peak {result['peak_kib'] / 1024:.0f} MB "
                f"(after first import {result['peak_kib_first'] / 1024:.0f} MB)"
            )
        if results:
            lines.append(summarize(backend, results))
    print()
    if not lines:
        print("nothing measured")
        return
    header = ["backend", "rows", "import s", "re-import s", "peak MB", "rows/s"]
    print_table([*header, "time/60s", "peak/1024MB", "target"], lines)
    if any(line[-1] == "FAIL" for line in lines):
        print(
            f"\nFAIL: SQLite misses the target (under {TARGET_SECONDS:.0f} s and "
            f"under {TARGET_MB:.0f} MB)"
        )


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3])
    else:
        main()
