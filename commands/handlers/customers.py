"""customer, find, add customer, add contact."""

from __future__ import annotations

from sqlalchemy import func, or_
from sqlmodel import col, select

from commands import people
from commands.request import Request
from commands.results import (
    Choice,
    ContactAdded,
    CustomerAdded,
    CustomerCard,
    Found,
    FoundCustomer,
    Problem,
)
from commands.verbs import AddContact, AddCustomer, FindCustomers, ShowCustomer
from crm_core import customers
from crm_core.analytics import intervals
from crm_core.analytics.scoring import latest_fit
from crm_core.customer360 import customer_360
from crm_core.models import Contact, Customer
from crm_core.names import normalize_name

FIND_LIMIT = 10


def show(command: ShowCustomer, request: Request) -> CustomerCard:
    customer = customers.resolve_customer(
        request.session, team_id=request.team_id, text=command.customer
    )
    card = customer_360(request.session, team_id=request.team_id, customer_id=customer.id)
    found = intervals.stored_customer_intervals(
        request.session, team_id=request.team_id, customer_ids=[customer.id]
    )
    fit = latest_fit(request.session, team_id=request.team_id) if card.score else None
    return CustomerCard(card, interval=found.get(customer.id), fit=fit)


def find(command: FindCustomers, request: Request) -> Found:
    """Customers by external id, email, name and contact: close names first, then the
    customers of contacts whose name or email holds the text, then names merely alike."""
    session, team_id, text = request.session, request.team_id, command.text
    found: dict[int, FoundCustomer] = {}

    def keep(customer: Customer, matched_on: str) -> None:
        if customer.id not in found and len(found) < FIND_LIMIT:
            found[customer.id] = FoundCustomer(
                customer.id,
                customer.name,
                customer.email,
                customer.owner_user_id,
                customer.segment,
                matched_on,
            )

    by_external = customers.find_by_external_id(session, team_id=team_id, external_id=text)
    if by_external:
        keep(by_external, "id")
    if "@" in text:
        for customer in customers.find_by_email(session, team_id=team_id, email=text):
            keep(customer, "email")
    ranked = []
    if "@" not in text:  # an address is no name; similar-looking names would only be noise
        ranked = customers.search_customers(session, team_id=team_id, text=text, limit=FIND_LIMIT)
    by_id = {}
    if ranked:
        by_id = {
            c.id: c
            for c in session.exec(
                select(Customer).where(
                    col(Customer.id).in_([s.customer_id for s in ranked]),
                    # `|| ''`: look the ids up by primary key; SQLite would walk the team index.
                    (Customer.team_id + "") == team_id,
                )
            )
        }
    for suggestion in ranked:
        if suggestion.score >= customers.CLEAR_MATCH:
            keep(by_id[suggestion.customer_id], "name")
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    needle = f"%{escaped}%"
    contacts = session.exec(
        select(Contact, Customer)
        .join(Customer, col(Customer.id) == col(Contact.customer_id))
        .where(
            Contact.team_id == team_id,
            or_(
                func.lower(Contact.name).like(needle, escape="\\"),
                func.lower(Contact.email).like(needle, escape="\\"),
            ),
        )
        .order_by(func.lower(Contact.name) != text.lower(), col(Contact.id))
        .limit(FIND_LIMIT)
    ).all()
    for contact, customer in contacts:
        keep(customer, f"contact {contact.name}")
    for suggestion in ranked:
        keep(by_id[suggestion.customer_id], "name")
    return Found(text, list(found.values()))


def add_customer(command: AddCustomer, request: Request) -> CustomerAdded | Problem:
    session, team_id = request.session, request.team_id
    owner = people.person(request, command.owner) if command.owner else None
    same = session.exec(
        select(Customer).where(
            Customer.team_id == team_id, Customer.normalized_name == normalize_name(command.name)
        )
    ).first()
    if same is not None and not command.as_new:
        add_anyway = f"{request.text.rstrip()} as new"
        return Problem(
            f"{same.name} is already a customer (#{same.id}), and {command.name} reads as the "
            f"same name; nothing was added. If {command.name} is another company, type "
            f"`{add_anyway}`",
            choices=[
                Choice(f"Open {same.name}", f"customer #{same.id}"),
                Choice(f"Add {command.name} as a new customer", add_anyway),
            ],
        )
    customer = customers.create_customer(
        session,
        team_id=team_id,
        name=command.name,
        email=command.email,
        owner_user_id=owner or request.actor.user_id,
        segment=command.segment,
    )
    return CustomerAdded(
        customer, request.remember("add customer", customer, customer_id=customer.id)
    )


def add_contact(command: AddContact, request: Request) -> ContactAdded:
    session, team_id = request.session, request.team_id
    customer = customers.resolve_customer(session, team_id=team_id, text=command.customer)
    contact = customers.add_contact(
        session,
        team_id=team_id,
        customer_id=customer.id,
        name=command.name,
        email=command.email,
        phone=command.phone,
        role=command.role,
    )
    undo_id = request.remember("add contact", contact, customer_id=customer.id)
    return ContactAdded(contact, customer, undo_id)
