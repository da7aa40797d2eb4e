"""A customer's personal data: everything held on them (export) and its erasure (forget).

Erasure keeps the customer row, its purchases and its scores, so revenue, CLV and retention
stay correct, but removes what identifies a person: the name (replaced by "Erased customer
#id"), email and external id, every contact, the text of every interaction (and its Slack
permalink), NPS comments, and what merges recorded about customers merged into this one.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict, dataclass
from datetime import datetime
from decimal import Decimal
from enum import Enum

from sqlalchemy import delete, update
from sqlmodel import Session, col, select

from crm_core.analytics.customer_scores import score_of
from crm_core.customers import get_customer
from crm_core.models import (
    Contact,
    CustomerMerge,
    Interaction,
    NpsResponse,
    Purchase,
    UndoableWrite,
    utcnow,
)
from crm_core.names import normalize_name
from crm_core.undo import forget_customer_writes

ERASED = "[erased]"


@dataclass(frozen=True)
class CustomerExport:
    customer_id: int
    json_bytes: bytes
    csv_bytes: bytes
    counts: dict[str, int]

    @property
    def files(self) -> dict[str, bytes]:
        stem = f"customer-{self.customer_id}"
        return {f"{stem}.json": self.json_bytes, f"{stem}.csv": self.csv_bytes}


@dataclass(frozen=True)
class Erasure:
    customer_id: int
    contacts: int
    interactions: int
    nps_comments: int
    merges: int


def _rows(session: Session, table, team_id: str, customer_id: int) -> list:
    return list(
        session.exec(
            select(table).where(table.team_id == team_id, table.customer_id == customer_id)
        ).all()
    )


def _plain(value: object) -> object:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _record(row) -> dict:
    """A row's columns as JSON-ready values (enums as their text, times in ISO 8601)."""
    return {column.name: _plain(getattr(row, column.name)) for column in row.__table__.columns}


def export_customer(session: Session, *, team_id: str, customer_id: int) -> CustomerExport:
    """Everything held on a customer of the workspace, as JSON and as one CSV table."""
    customer = get_customer(session, team_id=team_id, customer_id=customer_id)
    score = score_of(session, team_id=team_id, customer_id=customer_id)
    sections = {
        "customer": [_record(customer)],
        "contacts": [_record(r) for r in _rows(session, Contact, team_id, customer_id)],
        "interactions": [_record(r) for r in _rows(session, Interaction, team_id, customer_id)],
        "purchases": [_record(r) for r in _rows(session, Purchase, team_id, customer_id)],
        "nps_responses": [_record(r) for r in _rows(session, NpsResponse, team_id, customer_id)],
        "scores": [asdict(score)] if score is not None else [],
        "kept_for_undo": [_record(r) for r in _rows(session, UndoableWrite, team_id, customer_id)],
        "merged_into_this_customer": [
            _record(r)
            for r in session.exec(
                select(CustomerMerge).where(
                    CustomerMerge.team_id == team_id, CustomerMerge.kept_customer_id == customer_id
                )
            ).all()
        ],
    }
    document = {"exported_at": utcnow().isoformat(), "team_id": team_id, **sections}
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["section", "row", "field", "value"])
    for section, rows in sections.items():
        for number, row in enumerate(rows, start=1):
            for field, value in row.items():
                writer.writerow([section, number, field, "" if value is None else value])
    return CustomerExport(
        customer_id=customer_id,
        json_bytes=json.dumps(document, indent=2, ensure_ascii=False).encode(),
        csv_bytes=out.getvalue().encode(),
        counts={section: len(rows) for section, rows in sections.items()},
    )


def forget_customer(session: Session, *, team_id: str, customer_id: int) -> Erasure:
    """Erase a customer's personal data in the caller's unit of work (see the module doc)."""
    customer = get_customer(session, team_id=team_id, customer_id=customer_id)
    scoped = {"team_id": team_id, "customer_id": customer_id}
    contacts = session.execute(
        delete(Contact).where(*(getattr(Contact, k) == v for k, v in scoped.items()))
    ).rowcount
    interactions = session.execute(
        update(Interaction)
        .where(*(getattr(Interaction, k) == v for k, v in scoped.items()))
        .values(summary=ERASED, permalink=None)
    ).rowcount
    comments = session.execute(
        update(NpsResponse)
        .where(
            *(getattr(NpsResponse, k) == v for k, v in scoped.items()),
            col(NpsResponse.comment).is_not(None),
        )
        .values(comment=None)
    ).rowcount
    merges = session.execute(
        update(CustomerMerge)
        .where(CustomerMerge.team_id == team_id, CustomerMerge.kept_customer_id == customer_id)
        .values(merged_name=ERASED, merged_email=None, merged_external_id=None)
    ).rowcount
    forget_customer_writes(session, team_id=team_id, customer_id=customer_id)
    name = f"Erased customer #{customer_id}"
    customer.name, customer.normalized_name = name, normalize_name(name)
    customer.email = customer.external_id = None
    customer.updated_at = utcnow()  # the name index must drop the old name
    session.add(customer)
    session.flush()
    return Erasure(customer_id, contacts, interactions, comments, merges)
