"""Refunds net against a customer's value.

The rule (purchase_summaries.aggregates_sql): refunds are no purchase period; they are
summed into purchase_summary.refunded_value (negative); total_value is net of them (floored
at 0); Gamma-Gamma's monetary value is the repeat spend net of refunds over the repeat
periods, floored at 0. The 360 card keeps showing the orders and refunds as they were.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from commands.results import ClvOne
from crm_core import purchase_summaries
from crm_core.analytics import patterns
from crm_core.customers import create_customer
from crm_core.db import unit_of_work
from crm_core.models import PurchaseSummary
from crm_core.purchases import record_purchase
from tests.analytics_data import CDNOW_END, load_cdnow

START = datetime(1997, 11, 3, 15, tzinfo=UTC)  # a Monday


def buy(session, customer, amount, when):
    record_purchase(session, team_id="T1", customer_id=customer.id, amount=amount,
                    default_currency="USD", purchased_at=when)  # fmt: skip


def row(session, customer):
    return session.exec(
        select(PurchaseSummary).where(PurchaseSummary.customer_id == customer.id)
    ).one()


def test_three_orders_bought_and_refunded_are_worth_nothing(bot, engine):
    with unit_of_work(engine) as session:
        load_cdnow(session, customers=600)
        refunder = create_customer(session, team_id="T1", name="Refundo")
        keeper = create_customer(session, team_id="T1", name="Keepo")
        for k in range(3):
            when = START + timedelta(weeks=8 * k)
            buy(session, refunder, "500", when)
            buy(session, refunder, "-500", when + timedelta(days=1))
            buy(session, keeper, "500", when)
        ids = {"refunder": refunder.id, "keeper": keeper.id}
    bot.now = CDNOW_END
    clv = {}
    for name, customer_id in ids.items():
        bot.exec(f"clv #{customer_id}")
        assert isinstance(bot.result, ClvOne) and bot.result.value is not None
        clv[name] = bot.result.value.clv
    assert clv["keeper"] > 500  # what the refunded orders would be worth if kept
    # Only Gamma-Gamma's prior is left (no spend of their own): a few dollars, not hundreds.
    assert 0 <= clv["refunder"] < 0.05 * clv["keeper"]
    with unit_of_work(engine) as session:
        refunded = row(session, refunder)
        assert (refunded.periods, refunded.refunded_value) == (3, -1500)
        assert (refunded.total_value, refunded.first_period_value) == (0, 0)
    card = bot.exec(f"customer #{ids['refunder']}")
    assert "Orders: 3 · Revenue: $0.00 (net of 3 refunds of $1,500.00 in all" in card


def test_a_partial_refund_lowers_the_repeat_spend_and_the_total(session):
    acme = create_customer(session, team_id="T1", name="Acme")
    purchase_summaries.rebuild(session, team_id="T1", unit="W")  # kept from here on
    for k in range(3):
        buy(session, acme, "100", START + timedelta(weeks=k))
    buy(session, acme, "-50", START + timedelta(weeks=3))
    kept = row(session, acme)
    assert (kept.total_value, kept.first_period_value, kept.refunded_value) == (250, 100, -50)
    found = patterns.condense(session, team_id="T1", unit="W", observation_end=CDNOW_END)
    [monetary] = patterns.per_customer(found)["monetary_value"].tolist()
    assert monetary == pytest.approx(75)  # (100 + 100 - 50) over 2 repeat periods
    # Kept in step write by write: the same as rebuilt from the purchases.
    buy(session, acme, "40", START + timedelta(weeks=5))
    before = row(session, acme)
    incremental = (before.periods, before.first_period_value, before.total_value)
    purchase_summaries.rebuild(session, team_id="T1", unit="W")
    after = row(session, acme)
    assert incremental == (after.periods, after.first_period_value, after.total_value) == (
        4, 100, 290,
    )  # fmt: skip


def test_refunds_beyond_the_repeat_spend_floor_the_value_at_zero(session):
    acme = create_customer(session, team_id="T1", name="Acme")
    buy(session, acme, "100", START)
    buy(session, acme, "20", START + timedelta(weeks=1))
    buy(session, acme, "-150", START + timedelta(weeks=2))
    purchase_summaries.rebuild(session, team_id="T1", unit="W")
    floored = row(session, acme)
    assert (floored.total_value, floored.first_period_value) == (0, 0)
    assert floored.refunded_value == -150
    found = patterns.condense(session, team_id="T1", unit="W", observation_end=CDNOW_END)
    assert patterns.per_customer(found)["monetary_value"].tolist() == [0]
    assert patterns.spends(found).empty  # Gamma-Gamma sees no spend from this customer


def test_a_refund_before_the_first_order_is_netted_when_the_order_comes(session):
    acme = create_customer(session, team_id="T1", name="Acme")
    purchase_summaries.rebuild(session, team_id="T1", unit="W")
    buy(session, acme, "-30", START)
    buy(session, acme, "100", START + timedelta(weeks=1))
    kept = row(session, acme)
    assert (kept.total_value, kept.refunded_value) == (70, -30)
