"""Imported follow-ups: a date without a time is due at 9:00 local, as in chat."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlmodel import select

from commands.when import DEFAULT_TIME
from crm_core.db import unit_of_work
from crm_core.models import Interaction
from tests.test_importing import csv_file, run_import

PARIS = ZoneInfo("Europe/Paris")


def test_a_follow_up_date_without_a_time_is_due_at_9_local_and_one_with_a_time_keeps_it(
    engine, tmp_path
):
    run_import(engine, "customers", csv_file(tmp_path, "id,name\nC1,Acme\n", "c.csv"))
    text = (
        "customer,date,notes,follow_up\n"
        "C1,2024-01-02 10:00,winter date,2024-01-08\n"
        "C1,2024-01-03 10:00,summer date,07/15/2024\n"
        "C1,2024-01-04 10:00,with a time,2024-01-09 16:30\n"
        "C1,2024-01-05 10:00,with a zone,2024-01-10T07:00:00Z\n"
    )
    run_import(engine, "interactions", csv_file(tmp_path, text), tz=PARIS)
    with unit_of_work(engine) as session:
        due = session.exec(select(Interaction.follow_up_at).order_by(Interaction.occurred_at)).all()
    assert [when.astimezone(PARIS) for when in due] == [
        datetime(2024, 1, 8, 9, 0, tzinfo=PARIS),
        datetime(2024, 7, 15, 9, 0, tzinfo=PARIS),
        datetime(2024, 1, 9, 16, 30, tzinfo=PARIS),
        datetime(2024, 1, 10, 8, 0, tzinfo=PARIS),
    ]
    assert due[0] == datetime(2024, 1, 8, 8, 0, tzinfo=UTC)  # 9:00 in Paris, in winter


def test_the_import_and_chat_agree_on_the_default_time():
    from crm_core.importing.interactions import FOLLOW_UP_TIME

    assert FOLLOW_UP_TIME == DEFAULT_TIME
