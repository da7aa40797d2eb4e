"""Customers and contacts: adding, updating, finding (exactly or fuzzily) and merging."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import bindparam, func, update
from sqlmodel import Session, col, delete, select

from crm_core import audit
from crm_core.errors import (
    AmbiguousCustomer,
    CustomerNotFound,
    DuplicateExternalId,
    InvalidInput,
    Suggestion,
)
from crm_core.models import (
    Contact,
    Customer,
    CustomerMerge,
    Interaction,
    NpsResponse,
    Purchase,
    PurchaseSummary,
    utcnow,
)
from crm_core.name_index import name_index, rank_names
from crm_core.names import normalize_name
from crm_core.purchase_summaries import outdate_fits, rebuild_touched

# `#42` or `customer #42`: a customer by id. Choices write the kind out, because in some
# commands a bare `#N` means something else (`done #N` is a follow-up).
_BY_ID = re.compile(r"(?:customer\s*)?#(\d{1,18})", re.I)
_EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")
_EDITABLE = {
    "name",
    "email",
    "owner_user_id",
    "segment",
    "external_id",
    "acquisition_channel",
    "acquisition_cost",
    "acquisition_currency",
}
# A fuzzy match this good, and this far ahead of the next, is taken without asking...
CLEAR_MATCH = 88.0
CLEAR_MARGIN = 8.0
# ...and so is a fair match (two typos in a short name) that nothing else comes near.
FAIR_MATCH = 75.0
FAIR_MARGIN = 15.0
# Below this similarity a name is not offered as a suggestion at all.
SUGGESTION_FLOOR = 55.0

# The lookups of every `customer` and `log` command (and the card's contacts), built once
# with bound parameters: building a select and its cache key anew cost more than running it
# (~0.25 of ~0.4 ms).
_BY_EXTERNAL_ID = select(Customer).where(
    Customer.team_id == bindparam("team_id"), Customer.external_id == bindparam("external_id")
)
_MERGED_EXTERNAL_ID = (
    select(CustomerMerge)
    .where(
        CustomerMerge.team_id == bindparam("team_id"),
        CustomerMerge.merged_external_id == bindparam("external_id"),
    )
    .order_by(col(CustomerMerge.id).desc())
)
_BY_NORMALIZED_NAME = select(Customer).where(
    Customer.team_id == bindparam("team_id"),
    Customer.normalized_name == bindparam("normalized_name"),
)
_CONTACTS = (
    select(Contact)
    .where(Contact.team_id == bindparam("team_id"), Contact.customer_id == bindparam("customer_id"))
    .order_by(col(Contact.id))
)


def create_customer(session: Session, *, team_id: str, name: str, **fields: Any) -> Customer:
    """Add a customer to the workspace; the name is required, the external id unique."""
    name = _clean_name(name)
    unknown = set(fields) - _EDITABLE
    if unknown:
        raise TypeError(f"unknown customer fields: {sorted(unknown)}")
    fields = _clean_fields(fields)
    if fields.get("external_id"):
        _ensure_external_id_free(session, team_id=team_id, external_id=fields["external_id"])
    customer = Customer(team_id=team_id, name=name, normalized_name=normalize_name(name), **fields)
    session.add(customer)
    session.flush()
    return customer


def update_customer(
    session: Session, *, team_id: str, customer_id: int, **changes: Any
) -> Customer:
    """Change some of a customer's fields; the name stays required, the external id unique."""
    unknown = set(changes) - _EDITABLE
    if unknown:
        raise TypeError(f"unknown customer fields: {sorted(unknown)}")
    customer = get_customer(session, team_id=team_id, customer_id=customer_id)
    if "name" in changes:
        changes["name"] = _clean_name(changes["name"])
        customer.normalized_name = normalize_name(changes["name"])
    changes = _clean_fields(changes)
    new_external = changes.get("external_id")
    if new_external and new_external != customer.external_id:
        _ensure_external_id_free(session, team_id=team_id, external_id=new_external)
    for key, value in changes.items():
        setattr(customer, key, value)
    session.add(customer)
    session.flush()
    return customer


def get_customer(session: Session, *, team_id: str, customer_id: int) -> Customer:
    """The customer with this id in this workspace, or CustomerNotFound."""
    customer = session.get(Customer, customer_id)
    if customer is None or customer.team_id != team_id:
        raise CustomerNotFound(f"#{customer_id}")
    return customer


def find_by_external_id(session: Session, *, team_id: str, external_id: str) -> Customer | None:
    """The customer with this external id, following merges to the customer that absorbed it."""
    params = {"team_id": team_id, "external_id": external_id}
    customer = session.exec(_BY_EXTERNAL_ID, params=params).first()
    if customer is not None:
        return customer
    merge = session.exec(_MERGED_EXTERNAL_ID, params=params).first()
    return session.get(Customer, merge.kept_customer_id) if merge else None


def find_by_email(session: Session, *, team_id: str, email: str) -> list[Customer]:
    """Customers whose own email, or one of whose contacts' email, is this address."""
    address = email.strip().lower()
    direct = select(Customer).where(
        Customer.team_id == team_id, func.lower(Customer.email) == address
    )
    via_contact = (
        select(Customer)
        .join(Contact, col(Contact.customer_id) == col(Customer.id))
        .where(Contact.team_id == team_id, func.lower(Contact.email) == address)
    )
    found = {c.id: c for c in session.exec(direct).all()}
    found.update({c.id: c for c in session.exec(via_contact).all()})
    return sorted(found.values(), key=lambda c: c.id or 0)


def find_exact(session: Session, *, team_id: str, text: str) -> list[Customer]:
    """Customers whose external id is `text`, or else whose normalized name equals its own."""
    by_external = find_by_external_id(session, team_id=team_id, external_id=text.strip())
    if by_external is not None:
        return [by_external]
    return _by_normalized_name(session, team_id=team_id, text=text)


def _by_normalized_name(session: Session, *, team_id: str, text: str) -> list[Customer]:
    """Customers whose normalized name is the text's; of several, those spelt exactly as
    typed ("Fletcher LLC" beside "Fletcher PLC"), if any."""
    params = {"team_id": team_id, "normalized_name": normalize_name(text)}
    found = list(session.exec(_BY_NORMALIZED_NAME, params=params).all())
    if len(found) > 1:
        found = [c for c in found if _spelt(c.name) == _spelt(text)] or found
    return found


def search_customers(
    session: Session, *, team_id: str, text: str, limit: int = 5
) -> list[Suggestion]:
    """Customers whose name is like `text`, most similar first (similarity 0-100)."""
    index = name_index(session, team_id=team_id)
    return rank_names(index, text, limit=limit, score_cutoff=SUGGESTION_FLOOR)


def customer_id_in(text: str) -> int | None:
    """42 from `#42` or `customer #42`; None when the text names a customer otherwise."""
    match = _BY_ID.fullmatch(text.strip())
    return int(match[1]) if match else None


def resolve_customer(session: Session, *, team_id: str, text: str) -> Customer:
    """The one customer `text` means: #id, external id, email or name, exactly or fuzzily.

    Exact matches win. A fuzzy match is taken only when it is both close and clearly ahead
    of the next; otherwise AmbiguousCustomer lists the candidates (never a guess), and
    CustomerNotFound carries the closest names.
    """
    query = text.strip()
    if not query:
        raise InvalidInput("name a customer, e.g. customer Acme")
    if (by_id := customer_id_in(query)) is not None:
        return get_customer(session, team_id=team_id, customer_id=by_id)
    by_external = find_by_external_id(session, team_id=team_id, external_id=query)
    if by_external is not None:
        return by_external
    if "@" in query:
        by_email = find_by_email(session, team_id=team_id, email=query)
        if len(by_email) == 1:
            return by_email[0]
        if len(by_email) > 1:
            raise AmbiguousCustomer(query, [Suggestion(c.id or 0, c.name, 100.0) for c in by_email])
    # The external id was looked up above: what is left of an exact match is the name.
    exact = _by_normalized_name(session, team_id=team_id, text=query)
    if len(exact) == 1:
        return exact[0]
    if len(exact) > 1:
        raise AmbiguousCustomer(query, [Suggestion(c.id or 0, c.name, 100.0) for c in exact])
    ranked = search_customers(session, team_id=team_id, text=query)
    if not ranked:
        raise CustomerNotFound(query)
    best = ranked[0]
    runner_up = ranked[1].score if len(ranked) > 1 else 0.0
    lead = best.score - runner_up
    if (best.score >= CLEAR_MATCH and lead >= CLEAR_MARGIN) or (
        best.score >= FAIR_MATCH and lead >= FAIR_MARGIN
    ):
        return get_customer(session, team_id=team_id, customer_id=best.customer_id)
    close = [s for s in ranked if best.score - s.score < CLEAR_MARGIN]
    if best.score >= CLEAR_MATCH and len(close) > 1:
        raise AmbiguousCustomer(query, close)
    raise CustomerNotFound(query, ranked)


def add_contact(
    session: Session,
    *,
    team_id: str,
    customer_id: int,
    name: str,
    email: str | None = None,
    phone: str | None = None,
    role: str | None = None,
) -> Contact:
    """Add a person at a customer."""
    get_customer(session, team_id=team_id, customer_id=customer_id)
    name = name.strip()
    if not name:
        raise InvalidInput("a contact needs a name: add contact <name> to <customer>")
    contact = Contact(
        team_id=team_id,
        customer_id=customer_id,
        name=name,
        email=_clean_email(email),
        phone=(phone or "").strip() or None,
        role=(role or "").strip() or None,
    )
    session.add(contact)
    session.flush()
    return contact


def list_contacts(session: Session, *, team_id: str, customer_id: int) -> list[Contact]:
    """A customer's contacts, oldest first."""
    params = {"team_id": team_id, "customer_id": customer_id}
    return list(session.exec(_CONTACTS, params=params).all())


def merge_customers(
    session: Session, *, team_id: str, keep_id: int, merge_id: int, merged_by: str | None = None
) -> CustomerMerge:
    """Fold a duplicate customer into another and keep a record of it.

    Contacts, interactions, purchases and NPS responses move to the kept customer; fields the
    kept customer lacks are filled from the duplicate; the duplicate's external id keeps
    resolving to the kept customer.
    """
    if keep_id == merge_id:
        raise InvalidInput("a customer cannot be merged into itself; name two different customers")
    kept = get_customer(session, team_id=team_id, customer_id=keep_id)
    merged = get_customer(session, team_id=team_id, customer_id=merge_id)
    moved = {}
    for table, label in (
        (Contact, "contacts"),
        (Interaction, "interactions"),
        (Purchase, "purchases"),
        (NpsResponse, "nps_responses"),
    ):
        result = session.execute(
            update(table)
            .where(col(table.team_id) == team_id, col(table.customer_id) == merge_id)
            .values(customer_id=keep_id)
        )
        moved[label] = result.rowcount or 0
    for field in ("email", "owner_user_id", "segment", "acquisition_channel"):
        if getattr(kept, field) is None and getattr(merged, field) is not None:
            setattr(kept, field, getattr(merged, field))
    if kept.acquisition_cost is None and merged.acquisition_cost is not None:
        kept.acquisition_cost = merged.acquisition_cost
        kept.acquisition_currency = merged.acquisition_currency
    kept.updated_at = utcnow()  # the name index must forget the duplicate
    record = CustomerMerge(
        team_id=team_id,
        kept_customer_id=keep_id,
        merged_customer_id=merge_id,
        merged_name=merged.name,
        merged_external_id=merged.external_id,
        merged_email=merged.email,
        merged_by=merged_by,
        moved_contacts=moved["contacts"],
        moved_interactions=moved["interactions"],
        moved_purchases=moved["purchases"],
        moved_nps_responses=moved["nps_responses"],
    )
    session.add(record)
    session.add(kept)
    audit.record(
        session, team_id=team_id, user_id=merged_by, action="merge",
        target=f"customer #{merge_id} into #{keep_id}", detail=moved,
    )  # fmt: skip
    session.flush()
    # The duplicate's aggregates (and so its scores) go with it. The fits never saw the
    # merged history: without a watermark they are stale, so the next request refreshes.
    session.execute(
        delete(PurchaseSummary).where(
            PurchaseSummary.team_id == team_id, PurchaseSummary.customer_id == merge_id
        )
    )
    outdate_fits(session, team_id=team_id)
    session.execute(
        delete(Customer).where(col(Customer.id) == merge_id, col(Customer.team_id) == team_id)
    )
    session.expunge(merged)
    if kept.external_id is None and merged.external_id is not None:
        kept.external_id = merged.external_id
        session.add(kept)
    session.flush()
    if record.moved_purchases:
        rebuild_touched(session, team_id=team_id, customer_ids=[keep_id])
    return record


def _spelt(name: str) -> str:
    return " ".join(name.casefold().split())


def _clean_name(name: str) -> str:
    cleaned = " ".join((name or "").split())
    if not cleaned:
        raise InvalidInput("a customer needs a name, e.g. add customer Acme Corp")
    if not normalize_name(cleaned):
        raise InvalidInput(f"{name!r} has no letters or digits; give the customer a real name")
    return cleaned


def _clean_email(email: str | None) -> str | None:
    if email is None or not email.strip():
        return None
    email = email.strip()
    if not _EMAIL.match(email):
        raise InvalidInput(f"{email!r} is not an email address; type one such as jane@acme.com")
    return email


def _clean_fields(fields: dict[str, Any]) -> dict[str, Any]:
    cleaned = dict(fields)
    if "email" in cleaned:
        cleaned["email"] = _clean_email(cleaned["email"])
    for key in ("owner_user_id", "segment", "external_id", "acquisition_channel"):
        if key in cleaned and isinstance(cleaned[key], str):
            cleaned[key] = cleaned[key].strip() or None
    if cleaned.get("acquisition_currency"):
        cleaned["acquisition_currency"] = str(cleaned["acquisition_currency"]).upper()
    return cleaned


def _ensure_external_id_free(session: Session, *, team_id: str, external_id: str) -> None:
    taken = session.exec(
        select(Customer.id, Customer.name).where(
            Customer.team_id == team_id, Customer.external_id == external_id
        )
    ).first()
    if taken is not None:
        raise DuplicateExternalId(
            f"external id {external_id!r} already belongs to {taken[1]} (#{taken[0]}); "
            "use another id or update that customer"
        )
