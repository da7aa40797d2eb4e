"""Refunds on the 360 card, in `purchase` answers and in the demo tour: never counted as
orders, never the last purchase, and said in words."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from commands.results import ClvOne, CustomerCard, PurchaseRecorded
from crm_core.customer360 import customer_360
from crm_core.db import unit_of_work
from crm_core.overview import workspace_overview
from crm_core.purchases import record_purchase
from reports.terminal import demo_tour_text
from tests.chat import NEW_YORK
from tests.rates import add_rates


@pytest.fixture
def acme(bot):
    """Acme Corp with three orders (one of $0.00) and a refund after the last of them."""
    bot.exec("add customer Acme Corp")
    for line in ("100 on Jan 1", "200 on Jan 15", "0 on Jan 20", "-50 on Feb 1"):
        bot.exec(f"purchase acme {line}")
    return bot


def slack_text(message: dict) -> str:
    return "\n".join(b["text"]["text"] for b in message["blocks"] if b["type"] == "section")


def test_the_card_counts_orders_and_refunds_apart(acme):
    out = acme.exec("customer acme")
    assert (
        "Orders: 3 · Revenue: $250.00 (net of 1 refund of $50.00 on 2026-02-01) · "
        "Average order: $100.00 · Last purchase: 2026-01-20" in out
    )
    [usd] = acme.result.card.purchases
    assert (usd.orders, usd.revenue, usd.average_order_value) == (3, Decimal("250.00"), 100)
    assert (usd.refunds, usd.refunded) == (1, Decimal("50.00"))
    assert usd.last_purchase.astimezone(NEW_YORK).date().isoformat() == "2026-01-20"
    assert usd.last_refund.astimezone(NEW_YORK).date().isoformat() == "2026-02-01"
    slack = slack_text(acme.slack("customer acme"))
    assert (
        "*Orders:* 3   *Revenue:* $250.00 (net of 1 refund of $50.00 on 2026-02-01)   "
        "*Avg order:* $100.00   *Last purchase:* 2026-01-20" in slack
    )


def test_a_card_without_refunds_reads_as_before(bot):
    bot.exec("add customer Acme Corp")
    bot.exec("purchase acme 100 on Jan 1")
    out = bot.exec("customer acme")
    line = "Orders: 1 · Revenue: $100.00 · Average order: $100.00 · Last purchase: 2026-01-01"
    assert line in out
    assert "refund" not in out


def test_several_refunds_are_summed_per_currency_with_the_last_dated(acme, engine):
    add_rates(engine)
    acme.exec("purchase acme -30 on Feb 3")
    customer_id = acme.result.customer.id
    with unit_of_work(engine) as session:
        for amount, day in (("40", 2), ("-5", 3)):
            record_purchase(
                session,
                team_id="T1",
                customer_id=customer_id,
                amount=amount,
                currency="EUR",
                default_currency="USD",
                purchased_at=datetime(2026, 2, day, 17, tzinfo=UTC),
            )
    out = acme.exec("customer acme")
    assert isinstance(acme.result, CustomerCard)
    assert (
        "Orders: 3 · Revenue: $220.00 (net of 2 refunds of $80.00 in all, the last on "
        "2026-02-03) · Average order: $100.00 · Last purchase: 2026-01-20" in out
    )
    assert (
        "Orders: 1 · Revenue: EUR 35.00 (net of 1 refund of EUR 5.00 on 2026-02-03) · "
        "Average order: EUR 40.00 · Last purchase: 2026-02-02" in out
    )


def test_a_customer_with_only_refunds_has_no_orders_and_no_last_purchase(bot, engine):
    bot.exec("add customer Refundo")
    customer = bot.result.customer
    bot.exec("purchase refundo -20 on Feb 2")
    out = bot.exec("customer refundo")
    assert "No orders; 1 refund of $20.00 on 2026-02-02." in out
    assert "Orders:" not in out and "Average order" not in out
    assert "*Orders:* none; 1 refund of $20.00 on 2026-02-02." in slack_text(
        bot.slack("customer refundo")
    )
    with unit_of_work(engine) as session:
        card = customer_360(session, team_id="T1", customer_id=customer.id)
    [usd] = card.purchases
    assert (usd.orders, usd.average_order_value, usd.first_purchase, usd.last_purchase) == (
        0,
        None,
        None,
        None,
    )
    # A refund makes nobody a customer, so it does not move "customer since" back.
    assert card.customer_since == customer.created_at


def test_clv_without_a_score_counts_orders_and_refunds_apart(acme, engine):
    acme.exec("add customer Globex")
    for line in ("90 on Jan 2", "10 on Feb 2"):
        acme.exec(f"purchase globex {line}")
    acme.exec("clv")  # the console fits; what arrives after is not scored until the next one
    acme.exec("add customer Initech")
    acme.exec("purchase initech 80 on Mar 1")
    acme.exec("purchase initech (30) on Mar 2")
    out = acme.exec("clv initech", source="slack")
    assert isinstance(acme.result, ClvOne) and acme.result.value is None
    assert "Here is what I can say: 1 order, $50.00 net of 1 refund." in out


def test_purchase_of_a_negative_amount_answers_recorded_a_refund(bot):
    add_rates(bot.engine)
    bot.exec("add customer Acme Corp")
    out = bot.exec("purchase acme -50")
    assert isinstance(bot.result, PurchaseRecorded) and bot.result.purchase.amount == -50
    assert out.startswith("Recorded a refund of $50.00 to Acme Corp on 2026-03-10.\n")
    message = bot.slack("purchase acme -€12.50")
    assert "Recorded a refund of *EUR 12.50* to *Acme Corp* on 2026-03-10." in message["text"]
    assert "-EUR" not in message["text"] and "purchase of" not in message["text"]


def test_purchase_of_zero_says_it_is_an_order_without_revenue(bot):
    bot.exec("add customer Acme Corp")
    out = bot.exec("purchase acme 0")
    assert out.startswith(
        "Recorded a no-charge order ($0.00) by Acme Corp on 2026-03-10: "
        "it counts as an order and adds no revenue.\n"
    )
    assert "no-charge order (*$0.00*) by *Acme Corp*" in bot.slack("purchase acme 0")["text"]


def test_the_demo_tour_counts_orders_not_refunds(acme, engine):
    with unit_of_work(engine) as session:
        overview = workspace_overview(session, team_id="T1", now=acme.now, tz=NEW_YORK)
    assert (overview.purchases, overview.refunds, overview.revenue) == (3, 1, Decimal("250.00"))
    assert overview.last_purchase.astimezone(NEW_YORK).date().isoformat() == "2026-01-20"
    [top] = overview.top_customers
    assert (top.name, top.orders, top.revenue) == ("Acme Corp", 3, Decimal("250.00"))
    tour = demo_tour_text(overview=overview, load=None, team_id="T1", tz=NEW_YORK, reps={})
    assert (
        "  1 customer · 0 contacts · 3 purchases and 1 refund ($250.00 net of refunds)\n"
        "  0 logged calls, meetings, emails and notes · 0 NPS answers\n"
    ) in tour
    assert "Purchases from 2026-01-01 to 2026-01-20" in tour
    assert "1. Acme Corp — $250.00 over 3 orders" in tour
