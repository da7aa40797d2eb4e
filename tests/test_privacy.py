"""Roles, export, erasure and the audit log, through the console's path (and the database)."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import JSON, String, select
from sqlmodel import SQLModel

from commands.results import AuditLog, ExportReady, ForgetConfirm, Forgotten, Problem
from crm_core.customers import add_contact, create_customer, merge_customers
from crm_core.db import unit_of_work
from crm_core.interactions import log_interaction
from crm_core.models import AuditEvent, Purchase
from crm_core.nps import record_nps
from crm_core.purchases import record_purchase
from tests.chat import NOW

# Everything personal about the customer the tests erase; none may survive `forget`.
PERSONAL = [
    "Zebulon Quartermaine",
    "zebulon@quartermaine.example",
    "Ottoline Quartermaine",
    "ottoline@quartermaine.example",
    "+44 20 7946 0999",
    "Kavanagh-Quartermaine Holdings",
    "kq@holdings.example",
    "prefers calls after lunch about the lighthouse",
    "the lighthouse order arrived broken",
]


@pytest.fixture
def customer_id(engine) -> int:
    with unit_of_work(engine) as session:
        customer = create_customer(
            session, team_id="T1", name="Zebulon Quartermaine",
            email="zebulon@quartermaine.example", owner_user_id="U0REP0001", external_id="ZQ-1",
        )  # fmt: skip
        duplicate = create_customer(
            session,
            team_id="T1",
            name="Kavanagh-Quartermaine Holdings",
            email="kq@holdings.example",
        )
        add_contact(
            session, team_id="T1", customer_id=customer.id, name="Ottoline Quartermaine",
            email="ottoline@quartermaine.example", phone="+44 20 7946 0999",
        )  # fmt: skip
        log_interaction(
            session, team_id="T1", customer_id=customer.id, kind="call",
            summary="prefers calls after lunch about the lighthouse", occurred_at=NOW,
            author_user_id="U0REP0001", source="slack",
            permalink="https://acme.slack.com/archives/C0SALES/p1700000000000100",
        )  # fmt: skip
        record_purchase(session, team_id="T1", customer_id=customer.id, amount=Decimal("120.50"),
                        purchased_at=NOW, default_currency="USD")  # fmt: skip
        record_nps(session, team_id="T1", customer_id=customer.id, score=4,
                   comment="the lighthouse order arrived broken", responded_at=NOW)  # fmt: skip
        merge_customers(session, team_id="T1", keep_id=customer.id, merge_id=duplicate.id,
                        merged_by="U0ADMIN01")  # fmt: skip
        return customer.id


def _holds_text(column) -> bool:
    """A text or JSON column (SQLModel's AutoString decorates String)."""
    kind = column.type
    return isinstance(kind, String | JSON) or isinstance(getattr(kind, "impl", None), String | JSON)


def every_text_value(engine) -> list[str]:
    """Every string held in any text or JSON column of any table."""
    found = []
    with engine.connect() as connection:
        for table in SQLModel.metadata.sorted_tables:
            columns = [c for c in table.columns if _holds_text(c)]
            if columns:
                for row in connection.execute(select(*columns)):
                    found += [str(value) for value in row if value is not None]
    return found


def test_a_rep_is_refused_every_admin_action_and_each_refusal_is_audited(bot, customer_id):
    for line in [
        f"export #{customer_id}",
        f"forget #{customer_id}",
        f"forget #{customer_id} confirm",
        "audit",
        "alerts subscribe C0OTHER01",
    ]:
        out = bot.exec(line, role="rep", source="slack", channel_id="C0SALES")
        assert isinstance(bot.result, Problem), line
        assert "only an admin can" in out and "workspace's own admins" in out, out
    with unit_of_work(bot.engine) as session:
        refusals = session.exec(select(AuditEvent).where(AuditEvent.allowed.is_(False))).all()
    assert [e[0].detail["wanted"] for e in refusals] == [
        "export",
        "forget",
        "forget",
        "audit",
        "subscribe",
    ]
    assert all(e[0].user_id == "U0REP0001" for e in refusals)
    assert "Zebulon Quartermaine" in every_text_value(bot.engine)  # nothing was erased


def test_export_holds_everything_for_the_admin(bot, customer_id):
    bot.now = datetime.now(UTC)  # the merge in the fixture was audited at the real time
    bot.exec(f"export #{customer_id}", role="admin")
    assert isinstance(bot.result, ExportReady)
    files = bot.result.files
    document = json.loads(files[f"customer-{customer_id}.json"])
    assert document["customer"][0]["email"] == "zebulon@quartermaine.example"
    assert document["contacts"][0]["phone"] == "+44 20 7946 0999"
    assert document["interactions"][0]["summary"].startswith("prefers calls")
    assert document["purchases"][0]["amount"] == "120.50"
    assert document["nps_responses"][0]["comment"] == "the lighthouse order arrived broken"
    assert (
        document["merged_into_this_customer"][0]["merged_name"] == "Kavanagh-Quartermaine Holdings"
    )
    rows = list(csv.DictReader(io.StringIO(files[f"customer-{customer_id}.csv"].decode())))
    assert {
        "section": "contacts",
        "row": "1",
        "field": "name",
        "value": "Ottoline Quartermaine",
    } in rows
    bot.exec("audit last 7 days", role="admin")
    assert isinstance(bot.result, AuditLog)
    assert [e.action for e in bot.result.events][:2] == ["export", "merge"]


def test_forget_asks_first_then_leaves_no_personal_text_anywhere(bot, customer_id, engine):
    bot.now = datetime.now(UTC)
    out = bot.exec(f"forget #{customer_id}", role="admin")
    assert isinstance(bot.result, ForgetConfirm) and "Nothing is erased yet" in out
    assert "Zebulon Quartermaine" in every_text_value(engine)
    bot.exec(f"forget #{customer_id} confirm", role="admin")
    assert isinstance(bot.result, Forgotten)
    held = "\n".join(every_text_value(engine))
    for personal in PERSONAL:
        assert personal not in held, personal
    for word in ("Zebulon", "Quartermaine", "lighthouse", "7946"):
        assert word.lower() not in held.lower(), word
    with unit_of_work(engine) as session:  # purchases stay, anonymous
        purchases = session.exec(select(Purchase.amount)).all()
    assert [p[0] for p in purchases] == [Decimal("120.50")]
    out = bot.exec(f"customer #{customer_id}")
    assert f"Erased customer #{customer_id}" in out
    bot.exec("audit", role="admin")
    assert bot.result.events[0].action == "forget"
    assert bot.result.events[0].target == f"customer #{customer_id}"
