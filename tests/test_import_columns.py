"""Import headers: common synonyms and real export layouts read, unknown columns reported."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from sqlmodel import select

from commands.cli import cli
from crm_core.db import unit_of_work
from crm_core.importing import ImportFailed
from crm_core.models import Customer, Interaction, Purchase
from tests.rates import add_rates
from tests.test_importing import T1, count, csv_file, run_import


def customers(engine):
    with unit_of_work(engine) as session:
        rows = session.exec(select(Customer).where(Customer.team_id == T1).order_by(Customer.id))
        return [(c.external_id, c.name) for c in rows]


def test_customers_named_in_company_name_then_their_purchases_make_no_duplicates(engine, tmp_path):
    listed = "Customer ID,Company Name,Email\nC1,Acme Corp,buy@acme.com\nC2,Globex,hi@globex.com\n"
    run_import(engine, "customers", csv_file(tmp_path, listed, "customers.csv"))
    assert customers(engine) == [("C1", "Acme Corp"), ("C2", "Globex")]
    orders = "customer,date,amount\nAcme Corp,2024-01-05,10\nglobex,2024-01-06,20\n"
    summary = run_import(engine, "purchases", csv_file(tmp_path, orders, "orders.csv"))
    assert summary.customers_created == []
    assert count(engine, Customer) == 2
    with unit_of_work(engine) as session:
        by_customer = dict(session.exec(select(Purchase.customer_id, Purchase.amount)).all())
    assert sorted(by_customer.values()) == [Decimal("10"), Decimal("20")]


@pytest.mark.parametrize(
    "header",
    [
        "company",
        "Company Name",
        "account",
        "Account Name",
        "Customer Name",
        "Client Name",
        "Organisation",
        "organization",
        "Business Name",
    ],
)
def test_the_common_names_of_a_customers_name_column(engine, tmp_path, header):
    summary = run_import(engine, "customers", csv_file(tmp_path, f"id,{header}\nC1,Acme Corp\n"))
    assert customers(engine) == [("C1", "Acme Corp")]
    assert summary.unread_columns == [] and summary.named_after_ids == 0


@pytest.mark.parametrize("header", ["Company", "Company Name", "Account Name", "Organization"])
def test_purchases_interactions_and_nps_may_name_the_customer_by_company(engine, tmp_path, header):
    run_import(engine, "customers", csv_file(tmp_path, "id,name\nC1,Acme Corp\n", "c.csv"))
    orders = f"{header},date,amount\nAcme Corp,2024-01-05,10\n"
    assert run_import(engine, "purchases", csv_file(tmp_path, orders)).customers_created == []
    calls = f"{header},date,notes\nacme corp,2024-01-05,renewal\n"
    assert run_import(engine, "interactions", csv_file(tmp_path, calls, "i.csv")).added == 1
    assert count(engine, Customer) == 1


def test_unknown_columns_are_named_in_the_summary_and_by_the_cli(engine, tmp_path, monkeypatch):
    text = "id,name,Phone,Favourite Colour\nC1,Acme,555-1234,teal\n"
    summary = run_import(engine, "customers", csv_file(tmp_path, text))
    assert summary.unread_columns == ["Phone", "Favourite Colour"]
    monkeypatch.setenv("CRM_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("CRM_CONFIG", str(tmp_path / "app.yaml"))
    (tmp_path / "app.yaml").write_text("default_timezone: UTC\n")
    result = CliRunner().invoke(cli, ["import", "customers", str(tmp_path / "data.csv")])
    assert result.exit_code == 0, result.output
    assert (
        "Not read: 2 columns the import does not know: 'Phone', 'Favourite Colour'."
        in result.output
    )


def test_a_customers_file_whose_name_column_is_unknown_is_refused_not_named_after_ids(
    engine, tmp_path
):
    path = csv_file(tmp_path, "Customer ID,Firma,Phone\nK1,Müller GmbH,123\n")
    with pytest.raises(ImportFailed) as caught:
        run_import(engine, "customers", path)
    message = str(caught.value)
    assert "no column for the customers' names" in message
    assert "would be named after their ids" in message and "'Firma', 'Phone'" in message
    assert "Rename the one that holds the name to name" in message
    assert count(engine, Customer) == 0


def test_a_file_of_ids_only_says_its_customers_are_named_after_their_ids(engine, tmp_path):
    summary = run_import(engine, "customers", csv_file(tmp_path, "id,email\nK9,a@b.com\n"))
    assert summary.named_after_ids == 1 and customers(engine) == [("K9", "K9")]


def test_first_and_last_name_columns_make_the_name(engine, tmp_path):
    text = "Customer ID,First Name,Last Name,Email\n77,Jane,Roe,jane@roe.com\n78,Prince,,p@x.com\n"
    run_import(engine, "customers", csv_file(tmp_path, text))
    assert customers(engine) == [("77", "Jane Roe"), ("78", "Prince")]


@pytest.mark.parametrize(
    ("kind", "text", "meant"),
    [
        ("purchases", "customer,date,ammount\nA,2024-01-01,5\n", "'ammount' is probably 'amount'"),
        ("purchases", "custmer,date,amount\nA,2024-01-01,5\n", "'custmer' is probably 'customer'"),
        (
            "purchases",
            "customer,date,amount,Curency\nA,2024-01-01,5,EUR\n",
            "'Curency' is probably 'currency'",
        ),
        ("customers", "id,name,emial\nC1,Acme,a@b.com\n", "'emial' is probably 'email'"),
        ("customers", "id,Compnay Name\nC1,Acme\n", "'Compnay Name' is probably 'company_name'"),
    ],
)
def test_a_misspelt_column_is_refused_with_the_column_it_probably_meant(
    engine, tmp_path, kind, text, meant
):
    with pytest.raises(ImportFailed, match="rename it to") as caught:
        run_import(engine, kind, csv_file(tmp_path, text))
    assert meant in str(caught.value)
    assert count(engine, Customer) == 0 and count(engine, Purchase) == 0


def test_a_stripe_payments_export(engine, tmp_path):
    add_rates(engine)
    text = (
        "id,Description,Created (UTC),Amount,Amount Refunded,Currency,Status,Customer ID,"
        "Customer Email\n"
        "ch_1,Invoice 1,2024-03-01 10:30:00,25.00,0.00,eur,Paid,cus_A,a@x.com\n"
        "ch_2,Invoice 2,2024-03-02 11:00:00,1250.00,0.00,usd,Paid,cus_B,b@x.com\n"
    )
    summary = run_import(engine, "purchases", csv_file(tmp_path, text), tz=ZoneInfo("Asia/Tokyo"))
    assert summary.customers_created == ["cus_A", "cus_B"]
    assert summary.unread_columns == ["Description", "Amount Refunded", "Status", "Customer Email"]
    with unit_of_work(engine) as session:
        rows = session.exec(
            select(
                Purchase.external_id, Purchase.purchased_at, Purchase.amount, Purchase.currency
            ).order_by(Purchase.external_id)
        ).all()
    # "(UTC)" in the header means the naive times are UTC, whatever default_timezone says.
    assert [(e, w, Decimal(a), c) for e, w, a, c in rows] == [
        ("ch_1", datetime(2024, 3, 1, 10, 30, tzinfo=UTC), Decimal("25"), "EUR"),
        ("ch_2", datetime(2024, 3, 2, 11, 0, tzinfo=UTC), Decimal("1250"), "USD"),
    ]


def test_salesforce_and_hubspot_exports(engine, tmp_path):
    accounts = "Account ID,Account Name,Industry\n001A,Acme Corp,Retail\n"
    run_import(engine, "customers", csv_file(tmp_path, accounts, "accounts.csv"))
    companies = "Record ID,Company name,Lifecycle Stage\n9001,Globex,customer\n"
    run_import(engine, "customers", csv_file(tmp_path, companies, "companies.csv"))
    assert customers(engine) == [("001A", "Acme Corp"), ("9001", "Globex")]
    opportunities = (
        "Opportunity ID,Opportunity Name,Account Name,Amount,Close Date,Stage\n"
        "006X,Renewal,Acme Corp,5000,2024-06-30,Closed Won\n"
    )
    summary = run_import(engine, "purchases", csv_file(tmp_path, opportunities, "opps.csv"))
    assert summary.customers_created == [] and summary.unread_columns == [
        "Opportunity Name",
        "Stage",
    ]
    deals = "Record ID,Deal Name,Associated Company,Close Date,Amount\n77,New,Globex,2024-07-01,3\n"
    run_import(engine, "purchases", csv_file(tmp_path, deals, "deals.csv"))
    calls = (
        "Record ID,Activity date,Activity type,Associated Company,Call notes\n"
        "5,2024-07-02 14:00,call,Globex,asked for a quote\n"
    )
    run_import(engine, "interactions", csv_file(tmp_path, calls, "calls.csv"))
    with unit_of_work(engine) as session:
        orders = sorted(session.exec(select(Purchase.external_id)).all())
        call = session.exec(select(Interaction)).one()
    assert orders == ["006X", "77"] and count(engine, Customer) == 2
    assert (call.kind, call.summary) == ("call", "asked for a quote")


def test_an_empty_column_from_a_trailing_separator_is_not_reported(engine, tmp_path):
    summary = run_import(engine, "customers", csv_file(tmp_path, "id,name,\nC1,Acme,\n"))
    assert summary.unread_columns == []


def test_a_shopify_orders_export_names_customers_by_billing_name_not_order_id(engine, tmp_path):
    add_rates(engine)
    text = (
        "Name,Email,Financial Status,Paid at,Currency,Total,Created at,Billing Name,Id\n"
        '#1001,jane@roe.com,paid,2024-05-01 10:00,EUR,"1.250,00",2024-05-01 09:58,Jane Roe,'
        "5551\n"
        '#1002,jane@roe.com,paid,2024-05-03 12:00,EUR,"80,00",2024-05-03 11:59,Jane Roe,5552\n'
    )
    summary = run_import(engine, "purchases", csv_file(tmp_path, text))
    assert summary.customers_created == ["Jane Roe"]
    with unit_of_work(engine) as session:
        rows = session.exec(select(Purchase.external_id, Purchase.amount)).all()
    assert sorted((e, Decimal(a)) for e, a in rows) == [
        ("5551", Decimal("1250.00")),
        ("5552", Decimal("80.00")),
    ]
