"""Money in the reporting currency: rates imported, purchases converted, none without a rate."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from click.testing import CliRunner
from sqlmodel import select

from commands.cli import cli
from commands.results import ClvOne
from crm_core import exchange_rates
from crm_core.customers import create_customer
from crm_core.db import unit_of_work
from crm_core.errors import InvalidInput
from crm_core.importing import ImportFailed, import_csv
from crm_core.models import Customer, ExchangeRate, Purchase, PurchaseSummary
from crm_core.purchases import record_purchase
from tests.analytics_data import CDNOW_END, load_cdnow

YEN = "customer_id,date,amount,currency\n" + "".join(
    f"{name},{day},15000,JPY\n"
    for name in ("YENCO",)
    for day in ("1997-03-10", "1997-09-10", "1998-03-10")
)
DOLLARS = YEN.replace("YENCO", "DOLLARCO").replace("15000,JPY", "100.50,USD")


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return path


def rates(session, path):
    return exchange_rates.import_rates(session, team_id="T1", path=path, reporting_currency="USD")


def purchases(session, path):
    return import_csv(
        session, team_id="T1", kind="purchases", path=path, tz=UTC, default_currency="USD"
    )


def test_yen_orders_are_valued_in_dollars_by_clv(bot, engine, tmp_path):
    with unit_of_work(engine) as session:
        load_cdnow(session, customers=600)
        rates(session, write(tmp_path, "r.csv", "date,currency,rate\n1997-01-01,JPY,0.0067\n"))
        purchases(session, write(tmp_path, "yen.csv", YEN))
        purchases(session, write(tmp_path, "usd.csv", DOLLARS))
    with unit_of_work(engine) as session:
        yen = session.exec(select(Purchase).where(Purchase.currency == "JPY")).all()
        assert [(p.amount, p.reporting_amount, p.reporting_currency) for p in yen] == [
            (Decimal("15000"), Decimal("100.50"), "USD")
        ] * 3
        yen_id = yen[0].customer_id
        usd = session.exec(select(Purchase).where(Purchase.amount == Decimal("100.50"))).first()
        ids = {"YENCO": yen_id, "DOLLARCO": usd.customer_id}
    bot.now = CDNOW_END
    bot.exec("clv top 5")  # refreshes the scores
    with unit_of_work(engine) as session:
        summary = session.exec(
            select(PurchaseSummary).where(PurchaseSummary.customer_id == ids["YENCO"])
        ).one()
        assert summary.total_value == pytest.approx(301.50)
        assert summary.first_period_value == pytest.approx(100.50)
    clv = {}
    for name, customer_id in ids.items():
        out = bot.exec(f"clv #{customer_id}")
        assert isinstance(bot.result, ClvOne) and bot.result.value is not None
        clv[name] = bot.result.value.clv
        assert f"${clv[name]:,.2f}" in out
    # The same orders in dollars are worth the same: the yen were converted, not added raw.
    assert clv["YENCO"] == pytest.approx(clv["DOLLARCO"], rel=1e-6)
    assert 0 < clv["YENCO"] < 1_000
    # The 360 card keeps the original amounts.
    assert "JPY 45,000" in bot.exec(f"customer #{ids['YENCO']}")


def test_without_a_rate_the_import_is_refused_and_writes_nothing(engine, tmp_path):
    with unit_of_work(engine) as session:
        with pytest.raises(ImportFailed) as refused:
            purchases(session, write(tmp_path, "yen.csv", YEN))
        message = str(refused.value)
        assert "JPY" in message and "1997-03-10" in message
        assert "crm import rates FILE" in message and "Nothing was imported" in message
    with unit_of_work(engine) as session:
        assert session.exec(select(Purchase)).all() == []
        assert session.exec(select(Customer)).all() == []


def test_a_rate_after_the_purchase_is_no_use_and_the_newest_before_it_is_used(engine, tmp_path):
    with unit_of_work(engine) as session:
        rates(
            session,
            write(
                tmp_path,
                "r.csv",
                "date,currency,rate\n1997-01-01,JPY,0.0050\n1997-03-01,JPY,0.0067\n"
                "1997-04-01,JPY,0.0100\n",
            ),
        )
        acme = create_customer(session, team_id="T1", name="Acme")
        on = datetime(1997, 3, 20, tzinfo=UTC)
        bought = record_purchase(
            session, team_id="T1", customer_id=acme.id, amount="15000", currency="JPY",
            default_currency="USD", purchased_at=on,
        )  # fmt: skip
        assert bought.reporting_amount == Decimal("100.50")
        with pytest.raises(InvalidInput, match=r"JPY on or before 1996-12-31.*crm import rates"):
            record_purchase(session, team_id="T1", customer_id=acme.id, amount="15000",
                            currency="JPY", default_currency="USD",
                            purchased_at=datetime(1996, 12, 31, 12, tzinfo=UTC))  # fmt: skip


def test_chat_refuses_a_purchase_in_a_currency_without_a_rate(bot, engine):
    bot.exec("add customer Acme Corp")
    out = bot.exec("purchase acme 99 EUR")
    assert "No exchange rate for EUR" in out and "crm import rates FILE" in out
    with unit_of_work(engine) as session:
        assert session.exec(select(Purchase)).all() == []


def test_a_bad_rates_file_is_refused_whole_naming_lines(engine, tmp_path):
    path = write(
        tmp_path,
        "r.csv",
        "date,currency,rate\n2024-01-01,JPY,0.0067\n01/02/2024,JPY,0.0068\n"
        "2024-01-03,YEN!,1\n2024-01-04,EUR,-1\n2024-01-05,USD,1\n",
    )
    with unit_of_work(engine) as session, pytest.raises(ImportFailed) as refused:
        rates(session, path)
    message = str(refused.value)
    assert "4 rows" in message and "no rate was imported" in message
    assert "line 3, column 'date': '01/02/2024': type a date as 2024-03-01" in message
    assert "line 4, column 'currency'" in message and "three-letter code" in message
    assert "line 5, column 'rate'" in message and "positive number" in message
    assert "line 6, column 'currency': USD is the reporting currency" in message
    with unit_of_work(engine) as session:
        assert session.exec(select(ExchangeRate)).all() == []


def test_rates_are_upserted_per_currency_and_day(engine, tmp_path):
    with unit_of_work(engine) as session:
        rates(session, write(tmp_path, "a.csv", "date,currency,rate\n2024-01-01,JPY,0.0067\n"))
        done = rates(
            session,
            write(
                tmp_path, "b.csv", "date,currency,rate\n2024-01-01,jpy,0.0070\n2024-01-02,EUR,1.1\n"
            ),
        )
        assert (done.added, done.updated) == (1, 1)
    with unit_of_work(engine) as session:
        stored = sorted(
            (r.currency, r.rate_date, r.rate) for r in session.exec(select(ExchangeRate))
        )
        assert stored == [("EUR", date(2024, 1, 2), 1.1), ("JPY", date(2024, 1, 1), 0.0070)]


def test_crm_import_rates_on_the_console(tmp_path, monkeypatch):
    monkeypatch.setenv("CRM_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("CRM_CONFIG", str(write(tmp_path, "app.yaml", "default_timezone: UTC\n")))
    runner = CliRunner()
    assert runner.invoke(cli, ["db", "upgrade"]).exit_code == 0
    refused = runner.invoke(cli, ["import", "purchases", str(write(tmp_path, "y.csv", YEN))])
    assert refused.exit_code == 1 and "crm import rates FILE" in refused.output
    path = write(tmp_path, "r.csv", "date,currency,rate\n1997-01-01,JPY,0.0067\n")
    done = runner.invoke(cli, ["import", "rates", str(path)])
    assert done.exit_code == 0 and "1 rate read; 1 added, 0 replaced" in done.output
    assert runner.invoke(cli, ["import", "purchases", str(tmp_path / "y.csv")]).exit_code == 0


def test_yen_orders_are_counted_in_dollars_by_pareto_and_segments(engine, tmp_path):
    from crm_core.analytics.segments import pareto_share, rfm_segments

    with unit_of_work(engine) as session:
        rates(session, write(tmp_path, "r.csv", "date,currency,rate\n1997-01-01,JPY,0.0067\n"))
        purchases(session, write(tmp_path, "yen.csv", YEN))
        purchases(session, write(tmp_path, "usd.csv", DOLLARS))
    with unit_of_work(engine) as session:
        share = pareto_share(session, team_id="T1")
        frame = rfm_segments(session, team_id="T1", now=datetime(1998, 6, 30, tzinfo=UTC))
    # Three orders of 15,000 yen at 0.0067 and three of $100.50: $603 in all, never 45,000.
    assert share.revenue == Decimal("603.00")
    assert sorted(frame["monetary"].round(2)) == [301.5, 301.5]
