"""CSV import: synonyms, date and money formats, all-or-nothing, idempotent re-imports."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import func, select

from crm_core.customers import create_customer, find_by_external_id
from crm_core.db import unit_of_work
from crm_core.demo import cdnow_purchases
from crm_core.importing import ImportFailed, import_csv
from crm_core.models import Customer, Interaction, NpsResponse, Purchase
from tests.rates import add_rates

T1 = "T1"


def run_import(engine, kind, path, *, team_id=T1, dayfirst=False, tz=UTC):
    with unit_of_work(engine) as session:
        return import_csv(
            session,
            team_id=team_id,
            kind=kind,
            path=path,
            tz=tz,
            default_currency="USD",
            dayfirst=dayfirst,
        )


def count(engine, table, team_id=T1):
    with unit_of_work(engine) as session:
        return session.exec(
            select(func.count()).select_from(table).where(table.team_id == team_id)
        ).one()


def csv_file(tmp_path, text: str, name="data.csv", encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding) if isinstance(text, str) else text)
    return path


@pytest.fixture(scope="module")
def cdnow_csv(tmp_path_factory):
    """CDNOW_master.txt as the issue describes it: customer_id, date, amount."""
    frame = cdnow_purchases()
    path = tmp_path_factory.mktemp("cdnow") / "cdnow.csv"
    frame.to_csv(path, index=False, date_format="%Y%m%d")
    return path


def test_cdnow_imports_23570_customers_and_69659_purchases_once(engine, cdnow_csv):
    first = run_import(engine, "purchases", cdnow_csv)
    assert (first.rows, first.added, len(first.customers_created)) == (69_659, 69_659, 23_570)
    assert count(engine, Customer) == 23_570 and count(engine, Purchase) == 69_659
    second = run_import(engine, "purchases", cdnow_csv)
    assert (second.added, second.unchanged, second.customers_created) == (0, 69_659, [])
    assert count(engine, Customer) == 23_570 and count(engine, Purchase) == 69_659
    with unit_of_work(engine) as session:
        total = session.exec(select(func.sum(Purchase.amount)).where(Purchase.team_id == T1)).one()
        first_customer = find_by_external_id(session, team_id=T1, external_id="00001")
        dates = session.exec(
            select(Purchase.purchased_at).where(Purchase.customer_id == first_customer.id)
        ).all()
    assert Decimal(total).quantize(Decimal("0.01")) == Decimal("2500315.63")
    assert datetime(1997, 1, 1, tzinfo=UTC) in dates


def test_one_bad_row_imports_nothing_and_names_that_row(engine, tmp_path):
    path = csv_file(
        tmp_path, "customer_id,date,amount\nA,2024-01-01,10\nB,2024-13-45,10\nC,2024-01-02,5\n"
    )
    with pytest.raises(ImportFailed) as caught:
        run_import(engine, "purchases", path)
    message = str(caught.value)
    assert "1 row could not be read, so nothing was imported" in message
    assert "line 3, column 'date': '2024-13-45' is not a date" in message
    assert count(engine, Purchase) == 0 and count(engine, Customer) == 0


def test_bad_rows_list_the_first_20_with_line_column_and_reason(engine, tmp_path):
    rows = "".join(f"C{n},2024-01-01,{'x' if n % 2 else n}\n" for n in range(60))
    with pytest.raises(ImportFailed) as caught:
        run_import(engine, "purchases", csv_file(tmp_path, "customer_id,date,amount\n" + rows))
    failure = caught.value
    assert failure.bad_rows == 30 and len(failure.rows) == 20
    assert [row.line for row in failure.rows][:3] == [3, 5, 7]
    assert failure.rows[0].column == "amount" and "is not an amount" in failure.rows[0].reason
    assert "… and 10 more bad rows" in str(failure)


@pytest.mark.parametrize(
    ("header", "row"),
    [
        ("customer_id,date,amount", "A1,2024-03-01,12.50"),
        ("Customer,Order Date,Revenue", "A1,2024-03-01,12.50"),
        ("client,timestamp,value", "A1,2024-03-01T00:00:00,12.50"),
        ("id,date,total", "A1,20240301,$12.50"),
        ("customer;date;amount", "A1;2024-03-01;12.50"),
    ],
)
def test_header_synonyms_and_separators(engine, tmp_path, header, row):
    summary = run_import(engine, "purchases", csv_file(tmp_path, f"{header}\n{row}\n"))
    assert summary.added == 1
    with unit_of_work(engine) as session:
        purchase = session.exec(select(Purchase)).one()
    assert purchase.amount == Decimal("12.50") and purchase.purchased_at == datetime(
        2024, 3, 1, tzinfo=UTC
    )


def test_dayfirst_switch_and_time_zone_of_naive_dates(engine, tmp_path):
    path = csv_file(tmp_path, "customer_id,date,amount\nA,01/02/1997,1\n")
    run_import(engine, "purchases", path, dayfirst=True, tz=ZoneInfo("Europe/Paris"))
    with unit_of_work(engine) as session:
        when = session.exec(select(Purchase.purchased_at)).one()
    assert when == datetime(1997, 2, 1, tzinfo=ZoneInfo("Europe/Paris"))
    assert when == datetime(1997, 1, 31, 23, 0, tzinfo=UTC)


def test_amounts_with_symbols_thousands_codes_and_currency_column(engine, tmp_path):
    add_rates(engine)
    text = (
        "customer_id,date,amount,currency\n"
        'A,2024-01-01,"$1,234.56",\n'
        "A,2024-01-02,€99,\n"
        "A,2024-01-03,250,gbp\n"
        "A,2024-01-04,(5.00),\n"
    )
    run_import(engine, "purchases", csv_file(tmp_path, text))
    with unit_of_work(engine) as session:
        rows = session.exec(
            select(Purchase.amount, Purchase.currency).order_by(Purchase.purchased_at)
        ).all()
    assert [(Decimal(a), c) for a, c in rows] == [
        (Decimal("1234.56"), "USD"),
        (Decimal("99"), "EUR"),
        (Decimal("250"), "GBP"),
        (Decimal("-5"), "USD"),
    ]


def test_a_currency_column_that_contradicts_the_symbol_is_a_bad_row(engine, tmp_path):
    path = csv_file(tmp_path, "customer_id,date,amount,currency\nA,2024-01-01,€5,USD\n")
    with pytest.raises(ImportFailed, match="USD but the amount is written in EUR"):
        run_import(engine, "purchases", path)


def test_identical_rows_are_distinct_purchases_and_stay_so_on_reimport(engine, tmp_path):
    path = csv_file(tmp_path, "customer_id,date,amount\nA,2024-01-01,5\nA,2024-01-01,5\n")
    assert run_import(engine, "purchases", path).added == 2
    assert run_import(engine, "purchases", path).added == 0
    bigger = csv_file(
        tmp_path,
        "customer_id,date,amount\nA,2024-01-01,5\nA,2024-01-01,5\nA,2024-01-01,5\n",
        "b.csv",
    )
    assert run_import(engine, "purchases", bigger).added == 1


def test_order_ids_key_purchases_and_must_be_unique_in_the_file(engine, tmp_path):
    path = csv_file(
        tmp_path, "order_id,customer_id,date,amount\nO1,A,2024-01-01,5\nO2,A,2024-01-01,5\n"
    )
    assert run_import(engine, "purchases", path).added == 2
    with unit_of_work(engine) as session:
        assert sorted(session.exec(select(Purchase.external_id)).all()) == ["O1", "O2"]
    dup = csv_file(
        tmp_path,
        "order_id,customer_id,date,amount\nO3,A,2024-01-01,5\nO3,B,2024-01-02,6\n",
        "d.csv",
    )
    with pytest.raises(ImportFailed, match="line 3.*order id .O3. is also on line 2"):
        run_import(engine, "purchases", dup)


def test_purchases_match_known_customers_by_external_id_then_unique_name(engine, tmp_path):
    with unit_of_work(engine) as session:
        acme = create_customer(session, team_id=T1, name="Acme Corp", external_id="C-1")
        globex = create_customer(session, team_id=T1, name="Globex")
    path = csv_file(
        tmp_path,
        "customer,date,amount\nC-1,2024-01-01,5\nglobex,2024-01-01,7\nNewCo,2024-01-01,9\n",
    )
    summary = run_import(engine, "purchases", path)
    assert summary.customers_created == ["NewCo"]
    with unit_of_work(engine) as session:
        owners = dict(session.exec(select(Purchase.amount, Purchase.customer_id)).all())
    assert owners[Decimal("5")] == acme.id and owners[Decimal("7")] == globex.id


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("customer_id,amount\nA,5\n", "no column for date"),
        ("", "the file is empty"),
        ("   \n\n", "the file is empty"),
        ("customer_id,date,amount\n", "header but no rows"),
        (b"customer_id,date,amount\nA,2024-01-01,5\nB\xe9,2024-01-01,5\n", "line 3 is not UTF-8"),
        ('customer_id,date,amount\nA,2024-01-01,5,extra,"\n', "not a well-formed CSV"),
    ],
)
def test_unreadable_files_are_explained_and_write_nothing(engine, tmp_path, content, expected):
    with pytest.raises(ImportFailed, match=expected):
        run_import(engine, "purchases", csv_file(tmp_path, content))
    assert count(engine, Purchase) == 0 and count(engine, Customer) == 0


def test_a_missing_file_and_an_unknown_kind_are_explained(engine, tmp_path):
    with pytest.raises(ImportFailed, match="no such file"):
        run_import(engine, "purchases", tmp_path / "nope.csv")
    with pytest.raises(
        ImportFailed, match="choose one of: customers, purchases, interactions, nps"
    ):
        run_import(engine, "orders", tmp_path / "nope.csv")


def test_customers_import_adds_then_updates_and_reimport_changes_nothing(engine, tmp_path):
    text = (
        "id,name,email,owner,segment,channel,cac\n"
        "C1,Acme Corp,buy@acme.com,U024BE7LH,SMB,Referral,$12.00\n"
        "C2,Globex,,<@U0G9QF9C6>,,,\n"
    )
    path = csv_file(tmp_path, text)
    first = run_import(engine, "customers", path)
    assert (first.added, first.updated) == (2, 0)
    assert run_import(engine, "customers", path).added == 0
    assert run_import(engine, "customers", path).updated == 0
    changed = csv_file(tmp_path, "id,name,segment\nC2,Globex,Enterprise\nC3,Initech,\n", "c.csv")
    third = run_import(engine, "customers", changed)
    assert (third.added, third.updated, third.unchanged) == (1, 1, 0)
    with unit_of_work(engine) as session:
        acme = find_by_external_id(session, team_id=T1, external_id="C1")
        globex = find_by_external_id(session, team_id=T1, external_id="C2")
    assert (acme.owner_user_id, acme.acquisition_cost, acme.acquisition_channel) == (
        "U024BE7LH",
        Decimal("12"),
        "Referral",
    )
    assert (globex.owner_user_id, globex.segment, globex.email) == ("U0G9QF9C6", "Enterprise", None)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("id,name\nC1,Acme\nC1,Other\n", "line 3, column 'id': id 'C1' is also on line 2"),
        ("id,name\nC1,\n", "line 2, column 'name': the name is empty"),
        ("name,email\nAcme,not-an-email\n", "'not-an-email' is not an email address"),
        ("name,owner\nAcme,alice\n", "'alice' is not a Slack user id or a name in the"),
        ("name\nAcme\nACME Inc.\n", "add an id column to tell them apart"),
        ("email\nx@y.com\n", "no column for name"),
    ],
)
def test_bad_customer_rows(engine, tmp_path, text, expected):
    with pytest.raises(ImportFailed, match=expected):
        run_import(engine, "customers", csv_file(tmp_path, text))
    assert count(engine, Customer) == 0


def test_interactions_import_with_follow_ups_and_idempotency(engine, tmp_path):
    run_import(engine, "customers", csv_file(tmp_path, "id,name\nC1,Acme\n", "c.csv"))
    text = (
        "customer_id,date,type,notes,user,follow_up,done\n"
        "C1,2024-01-01 10:00,Phone,renewal talk,U024BE7LH,2024-01-08,no\n"
        "C1,2024-01-02,email,sent quote,,,\n"
        "Acme,2024-01-03,meeting,onsite,U024BE7LH,2024-01-05,yes\n"
    )
    path = csv_file(tmp_path, text)
    assert run_import(engine, "interactions", path).added == 3
    assert run_import(engine, "interactions", path).added == 0
    with unit_of_work(engine) as session:
        rows = session.exec(select(Interaction).order_by(Interaction.occurred_at)).all()
    assert [r.kind for r in rows] == ["call", "email", "meeting"]
    assert all(r.source == "import" for r in rows)
    assert rows[0].follow_up_at == datetime(2024, 1, 8, 9, tzinfo=UTC)  # 9:00, as in chat
    assert not rows[0].follow_up_done
    assert rows[1].follow_up_at is None and rows[1].author_user_id is None
    assert rows[2].follow_up_done


def test_interactions_and_nps_for_unknown_customers_are_bad_rows(engine, tmp_path):
    path = csv_file(tmp_path, "customer_id,date,kind\nGhost,2024-01-01,call\n")
    with pytest.raises(ImportFailed, match="no customer 'Ghost'; import customers"):
        run_import(engine, "interactions", path)
    assert count(engine, Interaction) == 0


def test_nps_import_validates_scores_and_is_idempotent(engine, tmp_path):
    run_import(engine, "customers", csv_file(tmp_path, "id,name\nC1,Acme\n", "c.csv"))
    good = csv_file(
        tmp_path, "customer_id,date,score,comment\nC1,2024-01-01,9,great\nC1,2024-02-01,3,\n"
    )
    assert run_import(engine, "nps", good).added == 2
    assert run_import(engine, "nps", good).added == 0
    bad = csv_file(
        tmp_path,
        "customer_id,date,score\nC1,2024-01-01,11\nC1,2024-01-01,-1\nC1,2024-01-01,7.5\nC1,2024-01-01,ten\n",
        "bad.csv",
    )
    with pytest.raises(ImportFailed) as caught:
        run_import(engine, "nps", bad)
    assert [row.line for row in caught.value.rows] == [2, 3, 4, 5]
    assert "11 is outside 0-10" in str(caught.value) and "'ten'" in str(caught.value)
    assert count(engine, NpsResponse) == 2
