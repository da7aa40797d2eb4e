"""Purchases dated in the future are refused, at import and in chat, naming the setting."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from crm_core.customers import create_customer
from crm_core.db import unit_of_work
from crm_core.errors import InvalidInput
from crm_core.importing import ImportFailed, import_csv
from crm_core.models import Customer, Purchase
from crm_core.purchases import record_purchase

NOW = datetime(2026, 3, 10, 12, tzinfo=UTC)


def run(engine, tmp_path, days, **options):
    path = tmp_path / "orders.csv"
    path.write_text(
        "customer_id,date,amount\n"
        + "".join(
            f"C{i},{(NOW + timedelta(days=d)):%Y-%m-%d %H:%M},10\n" for i, d in enumerate(days)
        )
    )
    with unit_of_work(engine) as session:
        return import_csv(
            session, team_id="T1", kind="purchases", path=path, tz=UTC,
            default_currency="USD", now=NOW, **options,
        )  # fmt: skip


def test_an_import_with_future_rows_is_refused_naming_them_and_the_setting(engine, tmp_path):
    days = [0, 3, -5, 30, 2, 9, 4, 5, 6, 0.5]  # lines 2..11; 7 of them beyond a day ahead
    with pytest.raises(ImportFailed) as refused:
        run(engine, tmp_path, days)
    message = str(refused.value)
    assert "7 purchases are dated in the future" in message
    assert "lines 3, 5, 6, 7, 8 and 2 more" in message
    assert "analytics.future_tolerance_days (1 day)" in message
    assert "Nothing was imported" in message
    with unit_of_work(engine) as session:
        assert session.exec(select(Purchase)).all() == []
        assert session.exec(select(Customer)).all() == []


def test_the_tolerance_is_the_setting(engine, tmp_path):
    with pytest.raises(ImportFailed, match=r"1 purchase is dated.*line 2\. "):
        run(engine, tmp_path, [3], future_tolerance_days=2)
    assert run(engine, tmp_path, [3], future_tolerance_days=3).added == 1


def test_today_and_within_the_tolerance_are_accepted(engine, tmp_path):
    assert run(engine, tmp_path, [0, 0.9, -400]).added == 3


def test_a_service_purchase_in_the_future_is_refused(session):
    acme = create_customer(session, team_id="T1", name="Acme")
    with pytest.raises(InvalidInput, match=r"in the future.*analytics.future_tolerance_days"):
        record_purchase(
            session, team_id="T1", customer_id=acme.id, amount="10", default_currency="USD",
            purchased_at=datetime.now(UTC) + timedelta(days=3),
        )  # fmt: skip
    assert session.exec(select(Purchase)).all() == []


def test_chat_refuses_a_purchase_dated_in_the_future(bot, engine):
    bot.now = datetime.now(UTC)
    bot.exec("add customer Acme Corp")
    when = (bot.now + timedelta(days=20)).strftime("%b %d %Y")
    out = bot.exec(f"purchase acme 100 on {when}")
    assert "in the future" in out and "analytics.future_tolerance_days" in out
    with unit_of_work(engine) as session:
        assert session.exec(select(Purchase)).all() == []
