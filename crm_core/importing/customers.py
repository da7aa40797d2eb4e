"""Importing customers: added when new, updated when their id (or unique name) is known."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pandas as pd
from sqlalchemy import insert
from sqlmodel import Session, select

from crm_core import directory
from crm_core.errors import InvalidInput
from crm_core.importing.amounts import AmountColumn, read_amounts
from crm_core.importing.keys import first_duplicates
from crm_core.importing.parsing import CellParser
from crm_core.importing.refs import CustomerRefs
from crm_core.importing.summary import ImportSummary
from crm_core.importing.writing import Progress, chunks
from crm_core.models import Customer, utcnow
from crm_core.names import normalize_name

_NAMES = {"name", "first_name", "last_name"}
_FIELDS = (
    "name",
    "email",
    "owner_user_id",
    "segment",
    "acquisition_channel",
    "acquisition_cost",
    "acquisition_currency",
)


def load_customers(
    session: Session,
    parser: CellParser,
    *,
    team_id: str,
    default_currency: str,
    decimal_comma: bool | None = None,
    on_progress: Progress | None = None,
) -> ImportSummary:
    """Add new customers and bring known ones up to date with the file's non-empty cells."""
    people = directory.ids_by_name(session, team_id=team_id)
    frame, costs = _read_fields(parser, default_currency, decimal_comma, people)
    parser.raise_if_bad()
    refs = CustomerRefs(session, team_id)
    existing_ids = [
        refs.by_external.get(row.external_id)
        if row.external_id
        else refs.by_name.get(row.normalized_name)
        for row in frame.itertuples()
    ]
    frame["id"] = existing_ids
    new = frame[frame["id"].isna()]
    known = frame[frame["id"].notna()]
    now = utcnow()
    records = [
        {"team_id": team_id, "created_at": now, **{k: v for k, v in row.items() if k != "id"}}
        for row in new.to_dict("records")
    ]
    done = 0
    for chunk in chunks(records):
        session.execute(insert(Customer), list(chunk))
        done += len(chunk)
        if on_progress:
            on_progress(done, len(frame))
    updated = _update_known(session, team_id, known)
    if on_progress:
        on_progress(len(frame), len(frame))
    return ImportSummary(
        "customers",
        rows=len(frame),
        added=len(records),
        updated=updated,
        unchanged=len(known) - updated,
        decimal_mark=costs.mark if costs is not None else None,
        named_after_ids=0 if _NAMES & set(parser.columns) else len(frame),
    )


def _read_fields(
    parser: CellParser,
    default_currency: str,
    decimal_comma: bool | None,
    people: dict[str, str],
) -> tuple[pd.DataFrame, AmountColumn | None]:
    external = parser.text("external_id")
    names = parser.text("name")
    if names is None:
        names = _person_names(parser)
    if names is None:
        names = external
    assert names is not None
    for line in names.index[names == ""]:
        parser.add_error(int(line), "name", "the name is empty; every customer needs one")
    normalized = names.map(normalize_name)
    for line in normalized.index[(normalized == "") & (names != "")]:
        parser.add_error(int(line), "name", "the name has no letters or digits")
    if external is not None:
        parser.unique_ids("external_id", "id")
    else:
        for line, _, first in first_duplicates(normalized):
            parser.add_error(
                line,
                "name",
                f"{names[line]!r} is also on line {first}; add an id column to tell them apart",
            )
    emails = parser.map_unique("email", _email, optional=True)
    owners = parser.slack_users("owner_user_id", people)
    costs = read_amounts(parser, "acquisition_cost", decimal_comma=decimal_comma, optional=True)
    frame = pd.DataFrame(
        {"name": names.map(lambda n: " ".join(n.split())), "normalized_name": normalized},
        index=names.index,
    )
    frame["external_id"] = external.replace("", None) if external is not None else None
    frame["email"] = emails
    frame["owner_user_id"] = owners
    for field in ("segment", "acquisition_channel"):
        text = parser.text(field)
        frame[field] = text.replace("", None) if text is not None else None
    if costs is not None:
        frame["acquisition_cost"] = costs.amounts
        frame["acquisition_currency"] = costs.currencies.where(
            costs.amounts.isna(), costs.currencies.fillna(default_currency)
        )
    else:
        frame["acquisition_cost"] = None
        frame["acquisition_currency"] = None
    return frame.astype(object).where(frame.notna(), None), costs


def _person_names(parser: CellParser) -> pd.Series | None:
    """ "Jane" + "Roe" -> "Jane Roe", from first and last name columns (either may be absent)."""
    first, last = parser.text("first_name"), parser.text("last_name")
    if first is None or last is None:
        return first if last is None else last
    return (first + " " + last).str.strip()


def _update_known(session: Session, team_id: str, known: pd.DataFrame) -> int:
    if known.empty:
        return 0
    updated = 0
    by_id = {int(row["id"]): row for row in known.to_dict("records")}
    for start in range(0, len(by_id), 1000):
        ids = list(by_id)[start : start + 1000]
        for customer in session.exec(
            select(Customer).where(Customer.team_id == team_id, Customer.id.in_(ids))
        ):
            changes = _changes(customer, by_id[customer.id])
            if changes:
                for key, value in changes.items():
                    setattr(customer, key, value)
                session.add(customer)
                updated += 1
    session.flush()
    return updated


def _changes(customer: Customer, row: dict[str, Any]) -> dict[str, Any]:
    changes = {}
    for field in _FIELDS:
        value = row.get(field)
        if value is None or value == "":
            continue
        current = getattr(customer, field)
        if isinstance(value, Decimal) and current is not None and Decimal(current) == value:
            continue
        if current != value:
            changes[field] = value
    if "name" in changes:
        changes["normalized_name"] = row["normalized_name"]
    return changes


def _email(text: str) -> str:
    if "@" not in text or " " in text.strip():
        raise InvalidInput(f"{text!r} is not an email address; use one such as jane@acme.com")
    return text.strip()
