"""Benchmark issue 3's targets, and issue 13's cac: chat latency on a 100,000-customer database.

Targets (SQLite, in-process, through `dispatch` and `render_message` as a front end calls them):
`customer <name>` (fuzzy lookup + 360 card) p95 < 50 ms, `log call ...` p95 < 30 ms,
`find ...` p95 < 50 ms and `cac` (CAC and CLV:CAC by channel) p95 < 100 ms. PostgreSQL runs
the same requests and is reported without a verdict.

The database (100,000 customers over five acquisition channels, 1,000,000 interactions,
1,000,000 purchases spread unevenly over the customers, CLV scores refreshed once) is
generated from a fixed seed. The SQLite file is cached in benchmarks/out/ by size and copied
to a temp file for each run, so the logged calls never reach the cache; on PostgreSQL a fresh
`crm_bench_chat_<hex>` database is filled, scored, ANALYZEd and dropped at the end.
Each request names a different random customer; the first request of the run (a typo lookup,
which loads the per-process name index) is timed and reported on its own.

    .venv/bin/python benchmarks/chat_latency.py [--requests N] [--postgres-url URL] [--profile]
"""

from __future__ import annotations

import argparse
import collections
import cProfile
import os
import pstats
import random
import shutil
import tempfile
import time
from argparse import Namespace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
from bench_report import fresh_postgres, postgres_problem, print_header, print_table
from sqlalchemy import Engine, Table, func, insert, make_url, select, text

from commands import Actor, Backend, dispatch
from commands.results import CacTable, CustomerCard, Found, Logged
from crm_core import db
from crm_core.analytics.scoring import refresh_scores
from crm_core.models import Customer, Interaction, Purchase
from crm_core.names import normalize_name
from crm_core.settings import AnalyticsSettings, Settings
from reports.chat import render_message

OUT = Path(__file__).resolve().parent / "out"
SEED = 20240603
TEAM = "TBENCH"
OWNERS = [f"U0BENCH{i:02d}" for i in range(1, 9)]
TZ = ZoneInfo("America/New_York")
ANCHOR = datetime(2026, 1, 1, tzinfo=UTC)  # the generated history covers the 3 years before
CHUNK = 20_000
TARGET_MS = {"customer": 50.0, "log": 30.0, "find": 50.0, "cac": 100.0}
EXPECTED = {"customer": CustomerCard, "log": Logged, "find": Found, "cac": CacTable}
# Acquisition channels and the range of what a customer cost in each, as the demo has them.
CHANNELS = {"Organic": (0, 5), "Paid search": (20, 60), "Referral": (5, 20), "Events": (40, 120),
            "Partner": (15, 45)}  # fmt: skip
Query = tuple[str, int, bool]  # the text typed, the index of the customer meant, has a typo

SURNAMES = [
    "Abbott", "Acosta", "Alder", "Ashford", "Baxter", "Beckett", "Bellamy", "Blackwood",
    "Bradford", "Brennan", "Calloway", "Carver", "Chandler", "Crawford", "Dalton", "Donovan",
    "Draper", "Ellison", "Emerson", "Fairbanks", "Fletcher", "Foley", "Garrison", "Gallagher",
    "Gideon", "Granger", "Hadley", "Harlow", "Hartley", "Hawthorne", "Holloway", "Huxley",
    "Ingram", "Jarvis", "Kendall", "Kessler", "Langley", "Lockhart", "Maddox", "Mercer",
    "Merritt", "Monroe", "Nolan", "Norwood", "Oakley", "Pemberton", "Prescott", "Quinlan",
    "Radcliffe", "Ramsey", "Redford", "Rowe", "Sawyer", "Sinclair", "Stafford", "Sterling",
    "Sutton", "Thornton", "Tolliver", "Underwood", "Vance", "Vaughn", "Walsh", "Whitaker",
    "Winslow", "Yardley", "Zeller", "Okafor", "Nakamura", "Delgado", "Moreau", "Lindqvist",
    "Novak", "Kowalski", "Brandt", "Rossi", "Castellano", "Mendoza", "Haddad", "Kaplan", "Petrov",
    "Adeyemi", "Tanaka", "Varga", "Fischer", "Dubois", "Lambert", "Ferreira", "Ortega",
    "Sorensen", "Keller", "Barros", "Ibarra", "Jensen", "Larsen", "Marsh", "Aldridge", "Bancroft",
    "Barlow", "Bishop", "Booker", "Bowman", "Bramley", "Briggs", "Buckley", "Burgess", "Cain",
    "Carlisle", "Carrington", "Chapman", "Clayton", "Colby", "Conley", "Corbett", "Cortez",
    "Dawson", "Decker", "Dunbar", "Eastman", "Easton", "Everett", "Farrell", "Fenwick", "Finch",
    "Fowler", "Galloway", "Gentry", "Goodwin", "Greer", "Hale", "Halloran", "Hammond", "Harding",
    "Hayes", "Hendricks", "Hobbs", "Hollis", "Hooper", "Horton", "Hughes", "Irwin", "Jennings",
    "Kearney", "Kirby", "Knox", "Lancaster", "Lawson", "Levine", "Lowry", "Lyons", "Macintyre",
    "Mallory", "Marlowe", "Mathis", "Mccoy", "Medina", "Middleton", "Moss", "Nash", "Newman",
    "Osborne", "Padilla", "Parrish", "Peyton", "Pierce", "Pruitt", "Raines", "Rhodes", "Riggs",
    "Rowland", "Salazar", "Santos", "Schultz", "Shepherd", "Sloane", "Spencer", "Stanton",
    "Stokes", "Talbot", "Tate", "Thatcher", "Townsend", "Tucker", "Vasquez", "Wade", "Warner",
    "Watkins", "Webber", "Wheeler", "Whitfield", "Wilder", "Woodward", "Wyatt", "York", "Yates",
    "Zamora", "Achterberg", "Bergstrom", "Chowdhury", "Dimitrov", "Eriksen", "Fontaine", "Gupta",
    "Hoffmann", "Iyer", "Jablonski", "Kimura", "Laurent", "Moretti", "Nilsen", "Oyelaran",
    "Pereira", "Quintero", "Rahman", "Schneider", "Takahashi", "Umarov", "Valdez", "Wozniak",
    "Xu", "Yamamoto", "Zielinski",
]  # fmt: skip
INDUSTRIES = [
    "Logistics", "Freight", "Analytics", "Robotics", "Dental", "Bakery", "Foods", "Farms",
    "Energy", "Solar", "Plumbing", "Roofing", "Electric", "Medical", "Pharma", "Biotech",
    "Software", "Systems", "Networks", "Security", "Insurance", "Capital", "Ventures", "Realty",
    "Builders", "Construction", "Design", "Media", "Printing", "Textiles", "Apparel", "Furniture",
    "Motors", "Aviation", "Marine", "Chemicals", "Plastics", "Metals", "Mining", "Packaging",
    "Brewing", "Coffee", "Catering", "Travel", "Fitness", "Optics", "Audio", "Labs", "Health",
    "Pet", "Garden", "Logic", "Data", "Cloud", "Payments", "Telecom", "Legal", "Consulting",
    "Staffing", "Tooling", "Water", "Hospitality", "Lumber", "Glass", "Ceramics", "Dairy",
    "Seafood", "Wines", "Outdoor", "Sports", "Toys", "Jewelry", "Cosmetics", "Vision", "Hearing",
    "Clinics", "Imaging", "Diagnostics", "Learning", "Publishing", "Films", "Games", "Drones",
    "Storage", "Batteries", "Wind", "Hydro", "Recycling", "Waste", "Cleaning", "Landscaping",
    "Flooring", "Cabinets", "Windows", "Doors", "Paints", "Fasteners", "Valves", "Pumps",
    "Sensors", "Instruments", "Machining", "Welding", "Castings", "Forge", "Rail", "Trucking",
    "Couriers", "Charters", "Yachts", "Kitchens", "Grocers", "Markets",
]  # fmt: skip
PLACES = [
    "Northwind", "Bluewater", "Summit", "Redwood", "Silverline", "Ironbridge", "Cedar", "Harbor",
    "Granite", "Pinecrest", "Lakeside", "Riverstone", "Highland", "Eastgate", "Westfield",
    "Brightwater", "Stonebrook", "Maple", "Falcon", "Meridian", "Atlas", "Orion", "Keystone",
    "Evergreen", "Clearwater", "Coastal", "Prairie", "Canyon", "Beacon", "Crescent",
]  # fmt: skip
NOUNS = [
    "Group", "Partners", "Holdings", "Works", "Solutions", "Services", "Industries", "Associates",
    "Collective", "Studio", "Supply", "Trading", "Enterprises", "Worldwide", "International",
    "Global", "Direct", "Brothers", "Alliance", "Exchange",
]  # fmt: skip
SUFFIXES = ["Inc", "LLC", "Ltd", "Corp", "Co."]
SUMMARIES = [
    "talked renewal and pricing", "demo of the new dashboard", "asked for a discount",
    "budget approved for next quarter", "complained about delivery times", "wants a second seat",
    "intro call with the new buyer", "sent the updated proposal", "left a voicemail",
]  # fmt: skip


def company_names(count: int, rng: random.Random) -> list[str]:
    """`count` company names, unique after normalize_name (which drops Inc, LLC and the like)."""
    names: list[str] = []
    seen: set[str] = set()
    while len(names) < count:
        surname, industry, noun = rng.choice(SURNAMES), rng.choice(INDUSTRIES), rng.choice(NOUNS)
        pick = rng.random()
        if pick < 0.2:
            name = f"{surname} {industry}"
        elif pick < 0.55:
            name = f"{surname} {industry} {noun}"
        elif pick < 0.65:
            name = f"{surname} & {rng.choice(SURNAMES)}"
        elif pick < 0.8:
            name = f"{rng.choice(PLACES)} {industry} {noun}"
        else:
            name = f"{surname} {rng.choice(SURNAMES)} {industry}"
        if rng.random() < 0.3:
            name = f"{name} {rng.choice(SUFFIXES)}"
        key = normalize_name(name)
        if key not in seen:
            seen.add(key)
            names.append(name)
    return names


def insert_chunks(engine: Engine, table: Table, rows: list[dict]) -> None:
    for start in range(0, len(rows), CHUNK):
        with engine.begin() as connection:
            connection.execute(insert(table), rows[start : start + CHUNK])


def generate(url: str, sizes: tuple[int, int, int]) -> None:
    """Fill the empty database at `url`; db.open_engine creates the schema."""
    n_customers, n_interactions, n_purchases = sizes
    engine = db.open_engine(url)
    rng = np.random.default_rng(SEED)
    costs = random.Random(SEED + 2)  # its own stream: the other rows stay as they were
    customers = []
    for i, name in enumerate(company_names(n_customers, random.Random(SEED))):
        added = ANCHOR - timedelta(days=1460 - int(rng.integers(0, 365)))
        channel = list(CHANNELS)[i % len(CHANNELS)]
        cost = None if i % 10 == 9 else Decimal(f"{costs.uniform(*CHANNELS[channel]):.2f}")
        customers.append(
            dict(team_id=TEAM, name=name, normalized_name=normalize_name(name),
                 external_id=f"C{i:06d}", owner_user_id=OWNERS[i % len(OWNERS)],
                 segment=("smb", "mid", "enterprise")[i % 3], created_at=added, updated_at=added,
                 acquisition_channel=channel, acquisition_cost=cost)
        )  # fmt: skip
    insert_chunks(engine, Customer.__table__, customers)
    ids = customer_ids(engine)
    weights = rng.lognormal(0.0, 1.0, n_customers)  # some customers have many more rows
    weights /= weights.sum()
    for table, total in ((Interaction, n_interactions), (Purchase, n_purchases)):
        who = rng.choice(n_customers, size=total, p=weights).tolist()
        ago = rng.integers(0, 3 * 365 * 86400, size=total).tolist()
        extra = rng.random(total).tolist()
        rows = []
        for i in range(total):
            when = ANCHOR - timedelta(seconds=ago[i])
            row = dict(team_id=TEAM, customer_id=ids[who[i]], created_at=when)
            if table is Interaction:
                follow_up = when + timedelta(days=1 + i % 30) if extra[i] < 0.05 else None
                row.update(kind=("call", "meeting", "email", "note")[i % 4], occurred_at=when,
                           summary=SUMMARIES[i % len(SUMMARIES)], source="import",
                           author_user_id=OWNERS[i % len(OWNERS)], follow_up_at=follow_up,
                           follow_up_done=False, idempotency_key=None)  # fmt: skip
            else:
                cents = 1_000 + int(extra[i] ** 3 * 500_000)
                row.update(purchased_at=when, amount=Decimal(cents).scaleb(-2), currency="USD",
                           external_id=f"P{i:07d}")  # fmt: skip
            rows.append(row)
        insert_chunks(engine, table.__table__, rows)
    with db.unit_of_work(engine) as session:  # cac reads stored scores, as a chat does
        refresh_scores(session, team_id=TEAM, settings=AnalyticsSettings(), now=ANCHOR)
    if engine.dialect.name == "postgresql":  # what autovacuum does within a minute or so
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("ANALYZE"))


def customer_ids(engine: Engine) -> list[int]:
    with engine.connect() as connection:
        return list(connection.execute(select(Customer.id).order_by(Customer.id)).scalars())


def typo(name: str, rng: random.Random, taken: set[str]) -> str:
    """The name with one letter dropped, or two swapped, in a word; never another's name."""
    words = name.split()
    spots = [i for i, w in enumerate(words) if len(w) >= 4 and w.isalpha() and w not in SUFFIXES]
    for _ in range(100):
        i = rng.choice(spots)
        word, j = words[i], rng.randrange(2, len(words[i]))
        if rng.random() < 0.5:
            changed = word[: j - 1] + word[j:]
        else:
            changed = word[: j - 1] + word[j] + word[j - 1] + word[j + 1 :]
        wrong = " ".join([*words[:i], changed, *words[i + 1 :]])
        if changed != word and normalize_name(wrong) not in taken:
            return wrong
    raise ValueError(f"no typo found for {name!r}")


def workload(names: list[str], count: int) -> dict[str, list[Query]]:
    """`count` requests per verb, each naming a different random customer."""
    rng = random.Random(SEED + 1)
    taken = {normalize_name(n) for n in names}
    plan: dict[str, list[Query]] = {verb: [] for verb in TARGET_MS}
    for verb, queries in plan.items():
        for k, i in enumerate(rng.sample(range(len(names)), count)):
            name, words = names[i], [w for w in names[i].split() if w.isalpha()]
            if verb == "cac":  # the same question each time: the whole workspace
                queries.append(("cac", i, False))
            elif verb == "customer":  # every other one with a typo, for the fuzzy path
                wrong = k % 2 == 1
                queries.append((f"customer {typo(name, rng, taken) if wrong else name}", i, wrong))
            elif verb == "log":
                said = rng.choice(SUMMARIES)
                queries.append((f"log call with {name}: {said}, follow up next tue", i, False))
            else:  # "find Hartley" or "find Hartley Logi"
                partial = words[0] if k % 2 or len(words) < 2 else f"{words[0]} {words[1][:4]}"
                queries.append((f"find {partial}", i, False))
    return plan


def request(typed: str, backend: Backend) -> tuple[float, object]:
    """One chat request as a front end runs it: dispatch, then the Slack message; in ms."""
    actor = Actor(team_id=TEAM, user_id=OWNERS[0], tz=TZ, source="console")
    started = time.perf_counter()
    answer = dispatch(typed, actor, backend)
    message = render_message(answer, actor.tz)
    elapsed = (time.perf_counter() - started) * 1000
    assert message["text"] and message["blocks"], "an empty Slack message"
    return elapsed, answer.result


def outcome(verb: str, result: object, customer_id: int) -> str:
    """'ok' when the result is what the verb should give, else what it was."""
    kind = type(result).__name__
    if not isinstance(result, EXPECTED[verb]):
        return kind
    if isinstance(result, Found):
        return "ok" if result.matches else "Found nothing"
    if isinstance(result, CacTable):
        scored = len(result.rows) == len(CHANNELS) and all(r.average_clv for r in result.rows)
        return "ok" if scored else "CacTable without every channel's CLV"
    shown = result.card.customer if isinstance(result, CustomerCard) else result.customer
    return "ok" if shown.id == customer_id else f"{kind} of another customer"


def measure(url: str, label: str, names: list[str], args: Namespace) -> list[list[str]]:
    """Time every verb's requests on the database at `url`; one table line per verb."""
    engine = db.open_engine(url)
    backend = Backend(engine, Settings(database_url=url, team_id=TEAM))
    ids = customer_ids(engine)
    plan = workload(names, args.warmup + args.requests)
    cold, _ = request(plan["customer"][1][0], backend)
    print(f"  {label}: cold first request (customer <typo>, loads the name index): {cold:.0f} ms")
    lines = []
    for verb, queries in plan.items():
        for typed, _, _ in queries[: args.warmup]:
            request(typed, backend)
        times, others, typos = [], collections.Counter(), collections.Counter()
        by_typo: dict[bool, list[float]] = {False: [], True: []}
        for typed, i, wrong in queries[args.warmup :]:
            ms, result = request(typed, backend)
            times.append(ms)
            by_typo[wrong].append(ms)
            seen = outcome(verb, result, ids[i])
            if seen != "ok":
                others[seen] += 1
            if wrong:
                typos["CustomerCard (the customer meant)" if seen == "ok" else seen] += 1
        if typos:
            print(f"  {label}: {sum(typos.values())} typo lookups gave {dict(typos)}")
            for wrong, which in ((False, "exact names"), (True, "names with a typo")):
                p50, p95 = np.percentile(by_typo[wrong], [50, 95])
                print(f"  {label}: customer, {which}: p50 {p50:.1f} ms, p95 {p95:.1f} ms")
        if others:
            print(f"  {label}: {verb}: {dict(others)} instead of {EXPECTED[verb].__name__}")
        p50, p95 = np.percentile(times, [50, 95])
        target = TARGET_MS[verb]
        verdict = ("PASS" if p95 < target else "FAIL") if label == "sqlite" else "-"
        lines.append(
            [label, verb, str(len(times)), str(len(times) - others.total()), f"{p50:.1f}",
             f"{p95:.1f}", f"{max(times):.1f}", f"{target:.0f}", f"{p95 / target:.2f}", verdict]
        )  # fmt: skip
        if args.profile and verdict == "FAIL":
            profile(verb, queries[args.warmup : args.warmup + 50], backend)
    return lines


def profile(verb: str, queries: list[Query], backend: Backend) -> None:
    profiler = cProfile.Profile()
    profiler.enable()
    for typed, _, _ in queries:
        request(typed, backend)
    profiler.disable()
    print(f"\n  cProfile of {len(queries)} '{verb}' requests, by cumulative and by own time:")
    stats = pstats.Stats(profiler)
    stats.sort_stats("cumulative").print_stats(30)
    stats.sort_stats("tottime").print_stats(15)


def describe(url: str) -> str:
    engine = db.open_engine(url)
    with engine.connect() as connection:
        counts = [
            connection.execute(select(func.count()).select_from(model)).scalar_one()
            for model in (Customer, Interaction, Purchase)
        ]
        if engine.dialect.name == "postgresql":
            size = connection.execute(text("SELECT pg_database_size(current_database())")).scalar()
        else:
            size = Path(make_url(url).database or "").stat().st_size
    tables = "customers, {:,} interactions, {:,} purchases".format(*counts[1:])
    return f"{counts[0]:,} {tables}, {size / 2**20:,.0f} MB"


def sqlite_file(sizes: tuple[int, int, int]) -> Path:
    """The generated SQLite database, made once per size and kept in benchmarks/out/."""
    # Scored on this schema: a refresh of another schema's code may store other things.
    path = OUT / f"chat_{'_'.join(map(str, sizes))}_seed{SEED}_scored_{db.head_revision()}.db"
    if path.exists():
        print(f"  sqlite: generated database cached in {path.relative_to(OUT.parent.parent)}")
        return path
    OUT.mkdir(exist_ok=True)
    partial = path.with_suffix(".partial")
    partial.unlink(missing_ok=True)
    started = time.perf_counter()
    generate(f"sqlite:///{partial}", sizes)
    engine = db.open_engine(f"sqlite:///{partial}")
    with engine.connect() as connection:  # fold the WAL into the file before it is renamed
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    partial.rename(path)
    print(f"  sqlite: generated {path.name} in {time.perf_counter() - started:.0f} s")
    return path


def run_sqlite(names: list[str], sizes: tuple[int, int, int], args: Namespace) -> list[list[str]]:
    cached = sqlite_file(sizes)
    with tempfile.TemporaryDirectory(prefix="crm_bench_chat_") as folder:
        shutil.copyfile(cached, f"{folder}/bench.db")
        url = f"sqlite:///{folder}/bench.db"
        print(f"  sqlite: {describe(url)}")
        try:
            return measure(url, "sqlite", names, args)
        finally:
            db.open_engine(url).dispose()


def run_postgres(
    admin_url: str, names: list[str], sizes: tuple[int, int, int], args: Namespace
) -> list[list[str]]:
    """Generate into a fresh database on the server, measure, and drop it whatever happens."""
    with fresh_postgres(admin_url, "crm_bench_chat") as url:
        started = time.perf_counter()
        generate(url, sizes)
        print(f"  postgresql: generated {make_url(url).database} in "
              f"{time.perf_counter() - started:.0f} s")  # fmt: skip
        print(f"  postgresql: {describe(url)}")
        return measure(url, "postgresql", names, args)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--interactions", type=int, default=1_000_000)
    parser.add_argument("--purchases", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=300, help="measured requests per verb")
    parser.add_argument("--warmup", type=int, default=20, help="unmeasured requests per verb")
    parser.add_argument("--postgres-url", default=os.environ.get("CRM_TEST_POSTGRES_URL"))
    parser.add_argument("--no-sqlite", action="store_true", help="measure PostgreSQL only")
    parser.add_argument("--profile", action="store_true", help="cProfile 50 requests of a FAIL")
    args = parser.parse_args()
    sizes = (args.customers, args.interactions, args.purchases)

    print_header()
    names = company_names(args.customers, random.Random(SEED))
    lines: list[list[str]] = []
    if not args.no_sqlite:
        lines += run_sqlite(names, sizes, args)
    problem = postgres_problem(args.postgres_url)
    if problem:
        print(f"PostgreSQL not measured: {problem}")
    else:
        lines += run_postgres(args.postgres_url, names, sizes, args)
    print()
    header = ["backend", "verb", "n", "ok", "p50 ms", "p95 ms", "max ms", "target ms"]
    print_table([*header, "p95/target", "verdict"], lines, left=2)
    if any(line[-1] == "FAIL" for line in lines):
        print("\nFAIL: SQLite misses a target (p95 at or above the target)")


if __name__ == "__main__":
    main()
