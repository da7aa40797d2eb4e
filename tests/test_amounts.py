"""Amounts typed in chat: both decimal marks read right, a thousandfold doubt refused."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from sqlmodel import select

from commands.results import Problem
from crm_core.customers import create_customer
from crm_core.db import unit_of_work
from crm_core.errors import InvalidInput
from crm_core.models import Purchase
from crm_core.purchases import record_purchase
from crm_core.values import parse_amount
from tests.rates import add_rates


@pytest.mark.parametrize(
    ("text", "amount", "currency"),
    [
        ("1.234,56 €", "1234.56", "EUR"),
        ("EUR 1.234,56", "1234.56", "EUR"),
        ("€2.000", "2000", "EUR"),
        ("€ 2.000,00", "2000.00", "EUR"),
        ("$1,234.56", "1234.56", "USD"),
        ("1,250", "1250", None),  # USD groups thousands with a comma
        ("12,50", "12.50", None),
        ("0,500", "0.500", None),
        ("1 234,56", "1234.56", None),
        ("1.234.567", "1234567", None),
        ("1,234,567", "1234567", None),
        ("-1.234,56", "-1234.56", None),
        ("(1.234,56 €)", "-1234.56", "EUR"),
        (".5", "0.5", None),
    ],
)
def test_amounts_read_with_the_mark_they_show(text, amount, currency):
    assert parse_amount(text, default_currency="USD") == (Decimal(amount), currency)


@pytest.mark.parametrize(
    ("text", "default", "expected"),
    [
        ("2.000", "USD", "'2.000' could mean 2000 or 2; type 2000 (or 2.00 if you mean 2)"),
        ("$2.000", "EUR", "'$2.000' could mean 2000 or 2"),
        ("1,250", "EUR", "'1,250' could mean 1250 or 1.25; type 1250 (or 1,25 if you mean 1.25)"),
        ("12.5.3", "USD", "is not an amount"),
        ("1,23,456", "USD", "its separators do not group thousands"),
    ],
)
def test_an_amount_that_reads_two_ways_in_its_currency_is_refused(text, default, expected):
    with pytest.raises(InvalidInput, match=re.escape(expected)):
        parse_amount(text, default_currency=default)


def test_a_euro_workspace_reads_2_000_as_two_thousand(session):
    acme = create_customer(session, team_id="T1", name="Acme")
    purchase = record_purchase(
        session, team_id="T1", customer_id=acme.id, amount="2.000", default_currency="EUR"
    )
    assert (purchase.amount, purchase.currency) == (Decimal("2000"), "EUR")


@pytest.fixture
def acme(bot):
    bot.exec("add customer Acme Corp")
    return bot


@pytest.mark.parametrize(
    ("line", "answer"),
    [
        ("purchase acme 1.234,56 €", "Recorded a purchase of EUR 1,234.56 by Acme Corp"),
        ("purchase acme EUR 1.234,56", "Recorded a purchase of EUR 1,234.56 by Acme Corp"),
        ("purchase acme €2.000", "Recorded a purchase of EUR 2,000.00 by Acme Corp"),
        ("purchase acme 99 EUR", "Recorded a purchase of EUR 99.00 by Acme Corp"),
        ("purchase acme 1,250", "Recorded a purchase of $1,250.00 by Acme Corp"),
    ],
)
def test_chat_purchases_in_either_convention(acme, engine, line, answer):
    add_rates(engine)
    assert answer in acme.exec(line)
    with unit_of_work(engine) as session:
        assert len(session.exec(select(Purchase)).all()) == 1


def test_chat_refuses_2_000_in_a_dollar_workspace_and_says_what_to_type(acme, engine):
    out = acme.exec("purchase acme 2.000")
    assert isinstance(acme.result, Problem)
    assert "'2.000' could mean 2000 or 2; type 2000 (or 2.00 if you mean 2)" in out
    with unit_of_work(engine) as session:
        assert session.exec(select(Purchase)).all() == []
