"""Benchmark issue 13's console targets: `crm ask help` under 0.5 s, `cac` under 200 ms.

Both are measured for this worktree ("after") and, in the same run, for an older commit
("before", by default where this branch left main) checked out into a temporary git
worktree and run with the same virtualenv (PYTHONPATH puts its code first):

1. `crm ask help` as a user starts it: wall time and peak RSS (the child's ru_maxrss) of
   the real `crm` script, before and after interleaved, medians of --repeat runs. Each
   runs against its own empty SQLite file (the old code opens one; the new does not).
   Bytecode caching is on, as on a user's machine (warm-up runs write __pycache__ first).
2. `cac` on the demo data (23,570 customers, scores refreshed): the command's own time,
   dispatch plus the terminal text, in a process that has started already (median of
   --cac-repeat runs after one warm-up; the old code takes half a minute a run, so it runs
   once). Also `crm ask cac` end to end, start included, for the record.

The demo database is made once by the older code with `crm demo` and `crm analytics
refresh` into benchmarks/out/ (gitignored), or taken from --demo-db; each variant works on
a copy (the newer code migrates its copy on first use, outside the timings).

    .venv/bin/python benchmarks/console_start.py [--before REV] [--repeat 20] [--demo-db FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path

from bench_report import print_header, print_table

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "out"
CRM = Path(sys.executable).with_name("crm")
HELP_TARGET_S = 0.5
CAC_TARGET_MS = 200.0
# Runs `cac` in a started process: what the command itself costs, not the interpreter.
CAC_IN_PROCESS = """
import json, sys, time
from datetime import UTC, datetime
from zoneinfo import ZoneInfo
from commands import Actor, Backend, dispatch
from crm_core import db
from crm_core.settings import load_settings
from reports.chat import render_text

settings = load_settings(None)
backend = Backend(db.engine_for(settings), settings)
actor = Actor(team_id=settings.team_id, user_id="U0CONSOLE", tz=ZoneInfo("UTC"),
              role="admin", source="console")
runs, warm = int(sys.argv[1]), sys.argv[2] == "warm"
if warm:
    dispatch("cac", actor, backend)
times, kind = [], None
for _ in range(runs):
    started = time.perf_counter()
    answer = dispatch("cac", actor, backend)
    text = render_text(answer, actor.tz)
    times.append((time.perf_counter() - started) * 1000)
    kind = type(answer.result).__name__
print(json.dumps({"ms": times, "kind": kind, "lines": text.count(chr(10))}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", help="commit to compare with (default: merge-base with main)")
    parser.add_argument("--repeat", type=int, default=20, help="crm ask help runs per variant")
    parser.add_argument("--cac-repeat", type=int, default=10, help="in-process cac runs (after)")
    parser.add_argument("--demo-db", type=Path, help="a SQLite file holding the demo, scored")
    args = parser.parse_args()
    before = args.before or git("merge-base", "HEAD", "main")
    print_header(f"after = {git('rev-parse', '--short', 'HEAD')} (this worktree)",
                 f"before = {git('rev-parse', '--short', before)}")  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="crm_bench_start_") as folder:
        old = Path(folder) / "before"
        git("worktree", "add", "--detach", str(old), before)
        _ENTRY_POINTS[old] = entry_points_of(old, Path(folder) / "before-metadata")
        try:
            demo = args.demo_db or demo_database(old, git("rev-parse", "--short", before))
            variants = {"before": old, "after": ROOT}
            help_runs = measure_help(variants, Path(folder), args.repeat)
            # A copy of the demo each: a newer schema would stop the older code.
            demos = {name: Path(folder) / f"demo-{name}.db" for name in variants}
            for copy in demos.values():
                shutil.copyfile(demo, copy)
            cac = {
                "before": measure_cac("before", old, demos["before"], runs=1, warm=False),
                "after": measure_cac(
                    "after", ROOT, demos["after"], runs=args.cac_repeat, warm=True
                ),
            }
            ask_cac = {
                "before": [run(old, ["ask", "cac"], demos["before"])[0] for _ in range(1)],
                "after": [run(ROOT, ["ask", "cac"], demos["after"])[0] for _ in range(5)],
            }
        finally:
            git("worktree", "remove", "--force", str(old))
    print()
    wall = {name: statistics.median(t for t, _ in runs) for name, runs in help_runs.items()}
    rss = {name: statistics.median(m for _, m in runs) for name, runs in help_runs.items()}
    cac_ms = {name: statistics.median(times) for name, times in cac.items()}
    ask_s = {name: statistics.median(times) for name, times in ask_cac.items()}
    n = f"{args.repeat}"
    print_table(
        ["measure", "n", "before", "after", "target", "after/target", "verdict"],
        [
            ["crm ask help, wall", n, f"{wall['before']:.3f} s", f"{wall['after']:.3f} s",
             f"{HELP_TARGET_S} s", f"{wall['after'] / HELP_TARGET_S:.2f}",
             verdict(wall["after"] < HELP_TARGET_S)],
            ["crm ask help, peak RSS", n, f"{rss['before']:.0f} MB", f"{rss['after']:.0f} MB",
             "-", "-", "-"],
            ["cac on the demo, in process", f"1 / {args.cac_repeat}",
             f"{cac_ms['before']:,.0f} ms", f"{cac_ms['after']:,.0f} ms",
             f"{CAC_TARGET_MS:.0f} ms", f"{cac_ms['after'] / CAC_TARGET_MS:.2f}",
             verdict(cac_ms["after"] < CAC_TARGET_MS)],
            ["crm ask cac, wall", "1 / 5", f"{ask_s['before']:.2f} s", f"{ask_s['after']:.2f} s",
             "-", "-", "-"],
        ],
    )  # fmt: skip


def verdict(passed: bool) -> str:
    return "PASS" if passed else "FAIL"


def git(*args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()


# Where a checked-out commit's own entry points are (see entry_points_of), by its folder.
_ENTRY_POINTS: dict[Path, Path] = {}


def entry_points_of(code: Path, folder: Path) -> Path:
    """A folder holding the package metadata of the commit in `code` with its own entry points
    (`crm` loads its plugins from them, and the installed ones may name commands it lacks);
    first on the path, it hides the installed metadata of the same name."""
    with open(code / "pyproject.toml", "rb") as file:
        project = tomllib.load(file)["project"]
    groups = {"console_scripts": project.get("scripts", {}), **project.get("entry-points", {})}
    info = folder / f"{project['name'].replace('-', '_')}-{project['version']}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {project['name']}\nVersion: {project['version']}\n"
    )
    (info / "entry_points.txt").write_text(
        "".join(
            f"[{group}]\n" + "".join(f"{name} = {target}\n" for name, target in entries.items())
            for group, entries in groups.items()
        )
    )
    return folder


def environment(code: Path, database: Path) -> dict[str, str]:
    """The child's environment: `code` first on the path, its own database and history."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRM_")}
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # a user's Python caches bytecode
    path = [str(code)] + ([str(_ENTRY_POINTS[code])] if code in _ENTRY_POINTS else [])
    return env | {
        "PYTHONPATH": os.pathsep.join(path),
        "CRM_DATABASE_URL": f"sqlite:///{database}",
        "CRM_CONFIG": str(code / "app.yaml"),
        "CRM_HISTORY": str(database.with_suffix(".history")),
    }


def run(code: Path, crm_args: list[str], database: Path) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one `crm ...` run of the code in `code`."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [str(CRM), *crm_args],
        env=environment(code, database),
        cwd=database.parent,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"crm {' '.join(crm_args)} failed: {process.stderr.read().decode()}")
    return seconds, usage.ru_maxrss / 1024


def measure_help(variants: dict[str, Path], folder: Path, repeat: int) -> dict[str, list]:
    """`crm ask help` of each variant, interleaved, after two warm-up runs each."""
    databases = {name: folder / f"{name}.db" for name in variants}
    for name, code in variants.items():
        for _ in range(2):  # creates the old code's database, writes __pycache__
            run(code, ["ask", "help"], databases[name])
    runs: dict[str, list] = {name: [] for name in variants}
    for _ in range(repeat):
        for name, code in variants.items():
            runs[name].append(run(code, ["ask", "help"], databases[name]))
    return runs


def measure_cac(name: str, code: Path, database: Path, *, runs: int, warm: bool) -> list[float]:
    """Milliseconds of `cac` (dispatch and text) in a process of the code in `code`."""
    done = subprocess.run(
        [sys.executable, "-c", CAC_IN_PROCESS, str(runs), "warm" if warm else "cold"],
        env=environment(code, database),
        cwd=database.parent,
        capture_output=True,
        text=True,
        check=True,
    )
    seen = json.loads(done.stdout.splitlines()[-1])
    if seen["kind"] != "CacTable":
        raise SystemExit(f"cac answered {seen['kind']}, not the table: is {database} the demo?")
    print(f"  {name}: cac runs {', '.join(f'{t:,.0f}' for t in seen['ms'])} ms")
    return seen["ms"]


def demo_database(code: Path, commit: str) -> Path:
    """The demo workspace, loaded and scored once into benchmarks/out/ by the older code: its
    schema is the older one, which the newer code migrates on first use (a copy of it)."""
    path = OUT / f"demo-{commit}.db"
    if path.exists():
        print(f"  demo database cached in {path.relative_to(ROOT)}")
        return path
    OUT.mkdir(exist_ok=True)
    partial = path.with_suffix(".partial")
    for leftover in OUT.glob(f"{partial.name}*"):
        leftover.unlink()
    env = environment(code, partial)
    for step in (["demo"], ["analytics", "refresh"]):
        subprocess.run([str(CRM), *step], env=env, cwd=OUT, check=True, capture_output=True)
    with sqlite3.connect(partial) as connection:  # fold the WAL into the file before renaming
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    partial.rename(path)
    print(f"  demo database made in {path.relative_to(ROOT)}")
    return path


if __name__ == "__main__":
    main()
