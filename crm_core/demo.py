"""The demo workspace: CDNOW's real purchase history, with generated names, reps, calls and NPS.

CDNOW_master.txt ships inside the lifetimes package: 23,570 customers who first bought in
early 1997 and their 69,659 purchases to mid-1998. Dates are shifted so the latest purchase
was yesterday, and everything goes through the same CSV import a user's file takes.
"""

from __future__ import annotations

import csv
import importlib.resources
import random
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from pathlib import Path

import pandas as pd
from faker import Faker
from sqlalchemy import case, delete, func
from sqlmodel import Session, SQLModel, col, select

from crm_core import directory
from crm_core.customers import add_contact
from crm_core.importing import ImportSummary, import_csv
from crm_core.models import Customer

SEED = 1997
# The demo sales team: Slack user ids and the names the tour shows for them.
DEMO_REPS = {
    "U0DEMOAVA": "Ava Patel",
    "U0DEMOBEN": "Ben Okafor",
    "U0DEMOCHLOE": "Chloe Martin",
    "U0DEMODIEGO": "Diego Alvarez",
    "U0DEMOEMMA": "Emma Schmidt",
    "U0DEMOFARID": "Farid Haddad",
}
CHANNELS = {
    "Organic": (0, 5),
    "Paid search": (20, 60),
    "Referral": (5, 20),
    "Events": (40, 120),
    "Partner": (15, 45),
}
CALL_TOPICS = [
    "renewal talk",
    "asked about volume discounts",
    "complained about late delivery",
    "interested in the new catalogue",
    "wants a quote for the team",
    "billing question sorted",
    "checking in after the last order",
    "considering a competitor",
    "happy with service",
    "requested a product demo",
    "budget frozen until next quarter",
    "new decision maker",
]
NPS_COMMENTS = {
    "detractor": [
        "Shipping took too long",
        "Prices went up again",
        "Support never called back",
        "Wrong items twice",
    ],
    "passive": ["Fine, nothing special", "Good selection, slow site", "OK prices"],
    "promoter": [
        "Great selection and fast delivery",
        "Always find what I need",
        "Love the recommendations",
    ],
}


@dataclass
class DemoLoad:
    """What loading the demo did, import by import."""

    imports: list[ImportSummary]
    contacts: int
    shifted_by_days: int


def cdnow_purchases() -> pd.DataFrame:
    """CDNOW's master file as customer_id, date (datetime64), amount (float)."""
    resource = importlib.resources.files("lifetimes").joinpath("datasets", "CDNOW_master.txt")
    with importlib.resources.as_file(resource) as path:
        frame = pd.read_csv(path, sep=r"\s+", dtype={"customer_id": str, "date": str})
    return pd.DataFrame(
        {
            "customer_id": frame["customer_id"],
            "date": pd.to_datetime(frame["date"], format="%Y%m%d"),
            "amount": frame["dollar_value"].astype(float),
        }
    )


@dataclass(frozen=True)
class WorkspaceCustomers:
    """A workspace's customers: the demo's (owned by its reps) and any others."""

    demo: int
    other: int


def workspace_customers(session: Session, *, team_id: str) -> WorkspaceCustomers:
    """How many of the workspace's customers the demo loaded and how many came from elsewhere:
    a workspace with other data is not the demo, whatever its size."""
    by_demo_rep = case((col(Customer.owner_user_id).in_(DEMO_REPS), 1), else_=0)
    demo, total = session.exec(
        select(func.coalesce(func.sum(by_demo_rep), 0), func.count()).where(
            Customer.team_id == team_id
        )
    ).one()
    return WorkspaceCustomers(demo=int(demo), other=int(total) - int(demo))


def workspace_rows(session: Session, *, team_id: str) -> dict[str, int]:
    """Rows per table that clear_workspace would delete, tables without any left out."""
    rows = {}
    for table in SQLModel.metadata.sorted_tables:
        if "team_id" in table.c:
            count = session.execute(
                select(func.count()).select_from(table).where(table.c.team_id == team_id)
            ).scalar_one()
            if count:
                rows[table.name] = count
    return rows


def clear_workspace(session: Session, *, team_id: str) -> None:
    """Delete every row of the workspace (children first)."""
    for table in reversed(SQLModel.metadata.sorted_tables):
        if "team_id" in table.c:
            session.execute(delete(table).where(table.c.team_id == team_id))


def load_demo(
    session: Session,
    *,
    team_id: str,
    today: date,
    tz: tzinfo,
    default_currency: str = "USD",
    on_progress: Callable[[str, int, int], None] | None = None,
) -> DemoLoad:
    """Import the demo workspace; the caller commits."""
    purchases = cdnow_purchases()
    shift = (pd.Timestamp(today) - pd.Timedelta(days=1)) - purchases["date"].max()
    purchases["date"] = purchases["date"] + shift
    rng = random.Random(SEED)
    fake = Faker("en_US")
    fake.seed_instance(SEED)
    customers = _customers(purchases, rng, fake)
    interactions = _interactions(customers, purchases, rng, today)
    nps = _nps(customers, purchases, rng, today)
    summaries = []
    with tempfile.TemporaryDirectory(prefix="crm-demo-") as folder:
        for kind, frame in (
            ("customers", customers),
            ("purchases", purchases),
            ("interactions", interactions),
            ("nps", nps),
        ):
            path = Path(folder) / f"{kind}.csv"
            frame.to_csv(path, index=False, quoting=csv.QUOTE_MINIMAL, date_format="%Y-%m-%d")
            summaries.append(
                import_csv(
                    session,
                    team_id=team_id,
                    kind=kind,
                    path=path,
                    tz=tz,
                    default_currency=default_currency,
                    on_progress=(lambda done, total, k=kind: on_progress(k, done, total))
                    if on_progress
                    else None,
                )
            )
    contacts = _add_contacts(session, team_id=team_id, customers=customers, fake=fake)
    for slack_id, name in DEMO_REPS.items():  # so the console reads owner @ava, shows names
        directory.set_entry(
            session,
            team_id=team_id,
            kind="user",
            slack_id=slack_id,
            handle=name.split()[0].lower(),
            name=name,
        )
    return DemoLoad(imports=summaries, contacts=contacts, shifted_by_days=shift.days)


def _customers(purchases: pd.DataFrame, rng: random.Random, fake: Faker) -> pd.DataFrame:
    spend = purchases.groupby("customer_id")["amount"].sum().sort_index()
    names: set[str] = set()
    rows = []
    for customer_id, total in spend.items():
        name = fake.company()
        while name in names:
            name = f"{fake.company()} {fake.city_suffix()}"
        names.add(name)
        slug = re.sub(r"[^a-z0-9]+", "", name.lower().split(",")[0])[:20] or "customer"
        channel = rng.choice(list(CHANNELS))
        low, high = CHANNELS[channel]
        rows.append(
            {
                "customer_id": customer_id,
                "name": name,
                "email": f"orders@{slug}.example.com",
                "owner": rng.choice(list(DEMO_REPS)),
                "segment": "Enterprise" if total > 500 else "Mid-market" if total > 100 else "SMB",
                "acquisition_channel": channel,
                "acquisition_cost": f"{rng.uniform(low, high):.2f}",
            }
        )
    return pd.DataFrame(rows)


def _interactions(
    customers: pd.DataFrame, purchases: pd.DataFrame, rng: random.Random, today: date
) -> pd.DataFrame:
    last = purchases.groupby("customer_id")["date"].max()
    owners = dict(zip(customers["customer_id"], customers["owner"], strict=True))
    picked = rng.sample(sorted(last.index), 2500)
    rows = []
    for customer_id in picked:
        for _ in range(rng.choice([1, 1, 2, 3])):
            when = datetime.combine(today, datetime.min.time()) - timedelta(
                days=rng.randint(0, 540), hours=rng.randint(-8, 8)
            )
            row = {
                "customer_id": customer_id,
                "date": when.strftime("%Y-%m-%d %H:%M"),
                "kind": rng.choices(["call", "meeting", "email", "note"], [5, 2, 3, 2])[0],
                "summary": rng.choice(CALL_TOPICS),
                "author": owners[customer_id],
                "follow_up": "",
                "done": "",
            }
            if rng.random() < 0.12:
                due = min(
                    today + timedelta(days=rng.randint(-20, 21)),
                    when.date() + timedelta(days=rng.randint(1, 30)),
                )
                row["follow_up"] = max(due, when.date() + timedelta(days=1)).isoformat()
                row["done"] = "yes" if due < today and rng.random() < 0.6 else "no"
            rows.append(row)
    return pd.DataFrame(rows)


def _nps(
    customers: pd.DataFrame, purchases: pd.DataFrame, rng: random.Random, today: date
) -> pd.DataFrame:
    last = purchases.groupby("customer_id")["date"].max()
    rows = []
    for customer_id in rng.sample(sorted(last.index), 3000):
        days_quiet = (pd.Timestamp(today) - last[customer_id]).days
        base = 9.0 if days_quiet < 120 else 7.0 if days_quiet < 365 else 5.0
        score = max(0, min(10, round(rng.gauss(base, 2.2))))
        band = "promoter" if score >= 9 else "passive" if score >= 7 else "detractor"
        rows.append(
            {
                "customer_id": customer_id,
                "score": score,
                "date": (today - timedelta(days=rng.randint(0, 365))).isoformat(),
                "comment": rng.choice(NPS_COMMENTS[band]) if rng.random() < 0.6 else "",
            }
        )
    return pd.DataFrame(rows)


def _add_contacts(session: Session, *, team_id: str, customers: pd.DataFrame, fake: Faker) -> int:
    ids = dict(
        session.exec(
            select(Customer.external_id, Customer.id).where(Customer.team_id == team_id)
        ).all()
    )
    added = 0
    for row in customers.head(1500).itertuples():
        person = fake.name()
        domain = row.email.split("@", 1)[1]
        add_contact(
            session,
            team_id=team_id,
            customer_id=ids[row.customer_id],
            name=person,
            email=f"{person.split()[0].lower()}@{domain}",
            phone=fake.numerify("+1 ###-###-####"),
            role=fake.job()[:200],
        )
        added += 1
    return added
