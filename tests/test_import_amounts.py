"""Import amounts: one decimal mark per file, detected or passed, never guessed row by row."""

from __future__ import annotations

from datetime import UTC
from decimal import Decimal

import pytest
from click.testing import CliRunner
from sqlmodel import select

from commands.cli import cli
from crm_core.customers import find_by_external_id
from crm_core.db import unit_of_work
from crm_core.importing import ImportFailed, import_csv
from crm_core.models import Customer, Purchase
from tests.rates import add_rates
from tests.test_importing import T1, count, csv_file


def run(engine, path, *, kind="purchases", decimal_comma=None):
    with unit_of_work(engine) as session:
        return import_csv(
            session,
            team_id=T1,
            kind=kind,
            path=path,
            tz=UTC,
            default_currency="USD",
            **({} if decimal_comma is None else {"decimal_comma": decimal_comma}),
        )


def amounts(engine):
    with unit_of_work(engine) as session:
        rows = session.exec(
            select(Purchase.amount, Purchase.currency).order_by(Purchase.purchased_at)
        ).all()
    return [(Decimal(a), c) for a, c in rows]


def orders(tmp_path, *cells: str, name="orders.csv"):
    lines = "".join(f'A,2024-01-{day:02d},"{cell}"\n' for day, cell in enumerate(cells, 1))
    return csv_file(tmp_path, "customer,date,amount\n" + lines, name)


def test_a_european_file_is_read_with_its_decimal_comma(engine, tmp_path):
    add_rates(engine)
    summary = run(engine, orders(tmp_path, "1.234,56 €", "€2.000", "12,50", "EUR 7", "3"))
    assert amounts(engine) == [
        (Decimal("1234.56"), "EUR"),
        (Decimal("2000"), "EUR"),
        (Decimal("12.50"), "USD"),
        (Decimal("7"), "EUR"),
        (Decimal("3"), "USD"),
    ]
    mark = summary.decimal_mark
    assert (mark.comma, mark.forced, mark.settled, mark.example) == (
        True,
        False,
        1,
        ("€2.000", "2000"),
    )


def test_a_file_with_a_decimal_point_reads_thousands_commas(engine, tmp_path):
    run(engine, orders(tmp_path, "$1,234.56", "2,000", "1,000,000", "0.5"))
    assert [a for a, _ in amounts(engine)] == [
        Decimal("1234.56"),
        Decimal("2000"),
        Decimal("1000000"),
        Decimal("0.5"),
    ]


def test_amounts_that_read_either_way_alone_are_refused_with_the_switch_to_pass(engine, tmp_path):
    path = orders(tmp_path, "€2.000", "€40", "€1.500")
    with pytest.raises(ImportFailed) as caught:
        run(engine, path)
    message = str(caught.value)
    assert "none that shows which decimal mark the file uses, so nothing was imported" in message
    assert "Pass --decimal-comma if the file writes 1.234,56" in message
    assert "--decimal-point if it writes 1,234.56" in message
    assert "line 2, column 'amount': '€2.000' is 2000 with a decimal comma, 2 with" in message
    assert "line 4, column 'amount': '€1.500' is 1500" in message
    assert count(engine, Purchase) == 0 and count(engine, Customer) == 0


@pytest.mark.parametrize(("decimal_comma", "read"), [(True, "2000"), (False, "2")])
def test_the_switch_settles_amounts_that_read_either_way(engine, tmp_path, decimal_comma, read):
    add_rates(engine)
    summary = run(engine, orders(tmp_path, "€2.000", "€40"), decimal_comma=decimal_comma)
    assert amounts(engine)[0] == (Decimal(read), "EUR")
    assert summary.decimal_mark.forced and summary.decimal_mark.settled == 1


def test_a_file_that_mixes_both_marks_is_refused_naming_the_odd_rows(engine, tmp_path):
    path = orders(tmp_path, "1,234.56", "12.50", "1.234,56", "7")
    with pytest.raises(ImportFailed) as caught:
        run(engine, path)
    message = str(caught.value)
    assert "writes amounts two ways: 2 rows with a decimal point" in message
    assert "1 with a decimal comma" in message
    assert "pass --decimal-point or --decimal-comma" in message
    assert "line 4, column 'amount': '1.234,56' has a decimal comma; line 2" in message
    assert count(engine, Purchase) == 0 and count(engine, Customer) == 0


def test_a_switch_against_the_file_makes_the_other_rows_bad(engine, tmp_path):
    path = orders(tmp_path, "1,234.56", "1.234,56")
    with pytest.raises(ImportFailed) as caught:
        run(engine, path, decimal_comma=True)
    [row] = caught.value.rows
    assert row.line == 2 and "'1,234.56' has a decimal point, but --decimal-comma" in row.reason
    assert count(engine, Purchase) == 0


def test_acquisition_costs_follow_the_same_rule(engine, tmp_path):
    text = 'id,name,cac\nC1,Acme,"1.200,50 €"\nC2,Globex,€3.000\nC3,Initech,\n'
    run(engine, csv_file(tmp_path, text), kind="customers")
    with unit_of_work(engine) as session:
        ids = ["C1", "C2", "C3"]
        found = [find_by_external_id(session, team_id=T1, external_id=i) for i in ids]
        got = [(c.acquisition_cost, c.acquisition_currency) for c in found]
    assert got == [(Decimal("1200.50"), "EUR"), (Decimal("3000"), "EUR"), (None, None)]
    with pytest.raises(ImportFailed, match="--decimal-comma"):
        run(engine, csv_file(tmp_path, "id,name,cac\nC4,Hooli,€3.000\n", "b.csv"), kind="customers")


def test_the_cli_switch_and_what_the_summary_says(tmp_path, monkeypatch):
    monkeypatch.setenv("CRM_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("CRM_CONFIG", str(tmp_path / "app.yaml"))
    (tmp_path / "app.yaml").write_text("default_timezone: UTC\n")
    path = orders(tmp_path, "€2.000", "€40")
    (tmp_path / "rates.csv").write_text("date,currency,rate\n1990-01-01,EUR,1.08\n")
    assert CliRunner().invoke(cli, ["db", "upgrade"]).exit_code == 0
    assert CliRunner().invoke(cli, ["import", "rates", str(tmp_path / "rates.csv")]).exit_code == 0
    refused = CliRunner().invoke(cli, ["import", "purchases", str(path)])
    assert refused.exit_code == 1 and "Pass --decimal-comma" in refused.output
    result = CliRunner().invoke(cli, ["import", "purchases", str(path), "--decimal-comma"])
    assert result.exit_code == 0, result.output
    assert (
        "Amounts were read with a decimal comma (1.234,56), as --decimal-comma says; "
        "1 that read either way, such as '€2.000', as 2000." in result.output
    )
    help_text = CliRunner().invoke(cli, ["import", "--help"]).output
    assert "--decimal-comma / --decimal-point" in help_text and "9:00" in help_text
