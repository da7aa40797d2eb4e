"""Logging interactions (idempotently), follow-ups by day and owner, timelines, purchases, NPS."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import func, select

from crm_core.customers import create_customer
from crm_core.errors import CustomerNotFound, FollowUpNotFound, InvalidInput, InvalidScore
from crm_core.interactions import list_follow_ups, log_interaction, mark_follow_up_done
from crm_core.models import ExchangeRate, Interaction, NpsResponse, Purchase
from crm_core.nps import record_nps, valid_score
from crm_core.purchases import record_purchase
from crm_core.timeline import customer_timeline

T1, T2 = "T1", "T2"
NEW_YORK = ZoneInfo("America/New_York")


def log(session, customer, **kwargs):
    values = {
        "kind": "call",
        "summary": "talked",
        "author_user_id": "U1",
        "source": "slack",
    } | kwargs
    return log_interaction(session, team_id=customer.team_id, customer_id=customer.id, **values)


def count(session, table, team_id=T1):
    return session.exec(
        select(func.count()).select_from(table).where(table.team_id == team_id)
    ).one()


def test_a_logged_call_keeps_who_where_and_when(session):
    acme = create_customer(session, team_id=T1, name="Acme")
    when = datetime(2026, 3, 1, 15, 0, tzinfo=NEW_YORK)
    call = log(session, acme, occurred_at=when, permalink="https://x.slack.com/archives/C1/p1")
    session.commit()
    session.expire_all()
    stored = session.get(Interaction, call.id)
    assert stored.occurred_at == when and stored.occurred_at.tzinfo is not None
    assert stored.occurred_at.utcoffset() == timedelta(0)  # stored and read back in UTC
    assert (stored.kind, stored.source, stored.author_user_id) == ("call", "slack", "U1")


def test_the_same_idempotency_key_logs_once(session):
    acme = create_customer(session, team_id=T1, name="Acme")
    first = log(session, acme, idempotency_key="Ev123")
    second = log(session, acme, idempotency_key="Ev123", summary="retried delivery")
    assert second.id == first.id and second.summary == "talked"
    assert count(session, Interaction) == 1
    other_team = create_customer(session, team_id=T2, name="Acme")
    log(session, other_team, idempotency_key="Ev123")  # keys are per workspace
    assert count(session, Interaction, T2) == 1


def test_simultaneous_deliveries_of_one_event_log_it_once(engine):
    """Threads with their own sessions race on the same keys: one row per key, same id for all."""
    from concurrent.futures import ThreadPoolExecutor
    from threading import Barrier

    from crm_core.db import unit_of_work

    with unit_of_work(engine) as s:
        acme = create_customer(s, team_id=T1, name="Acme")
    keys = [f"Ev{n}" for n in range(10)]
    barrier = Barrier(2)

    def deliver(key: str) -> int:
        barrier.wait()
        with unit_of_work(engine) as s:
            return log(s, acme, idempotency_key=key).id

    with ThreadPoolExecutor(max_workers=2) as pool:
        ids = {key: set(pool.map(deliver, [key, key])) for key in keys}
    assert all(len(found) == 1 for found in ids.values())
    with unit_of_work(engine) as s:
        assert count(s, Interaction) == len(keys)


@pytest.mark.parametrize("kind", ["lunch", ""])
def test_unknown_kinds_are_refused_with_the_allowed_list(session, kind):
    acme = create_customer(session, team_id=T1, name="Acme")
    with pytest.raises(InvalidInput, match="call, meeting, email, note, other"):
        log(session, acme, kind=kind)
    assert count(session, Interaction) == 0


def test_logging_against_another_workspaces_customer_fails(session):
    theirs = create_customer(session, team_id=T2, name="Theirs")
    with pytest.raises(CustomerNotFound):
        log_interaction(
            session,
            team_id=T1,
            customer_id=theirs.id,
            kind="call",
            summary="x",
            author_user_id="U1",
            source="slack",
        )


def test_follow_ups_due_today_overdue_and_by_owner_in_the_viewers_time_zone(session):
    acme = create_customer(session, team_id=T1, name="Acme")
    # 23:30 in New York on 10 March is already 11 March in UTC.
    now = datetime(2026, 3, 10, 23, 30, tzinfo=NEW_YORK)
    today_late = log(session, acme, follow_up_at=datetime(2026, 3, 10, 22, 0, tzinfo=NEW_YORK))
    yesterday = log(
        session, acme, follow_up_at=datetime(2026, 3, 9, 9, 0, tzinfo=NEW_YORK), author_user_id="U2"
    )
    tomorrow = log(session, acme, follow_up_at=datetime(2026, 3, 11, 9, 0, tzinfo=NEW_YORK))
    log(session, acme)  # no follow-up at all
    ids = lambda items: [f.interaction_id for f in items]  # noqa: E731
    assert ids(list_follow_ups(session, team_id=T1, now=now, tz=NEW_YORK, due="today")) == [
        today_late.id
    ]
    assert ids(list_follow_ups(session, team_id=T1, now=now, tz=NEW_YORK, due="overdue")) == [
        yesterday.id
    ]
    everything = list_follow_ups(session, team_id=T1, now=now, tz=NEW_YORK)
    assert ids(everything) == [yesterday.id, today_late.id, tomorrow.id]
    assert [f.overdue for f in everything] == [True, False, False]
    mine = list_follow_ups(session, team_id=T1, now=now, tz=NEW_YORK, owner_user_id="U2")
    assert ids(mine) == [yesterday.id]
    assert list_follow_ups(session, team_id=T2, now=now, tz=NEW_YORK) == []


def test_marking_a_follow_up_done_removes_it_and_is_harmless_twice(session):
    acme = create_customer(session, team_id=T1, name="Acme")
    now = datetime(2026, 3, 10, 12, tzinfo=UTC)
    item = log(session, acme, follow_up_at=now)
    mark_follow_up_done(session, team_id=T1, interaction_id=item.id, now=now)
    mark_follow_up_done(session, team_id=T1, interaction_id=item.id, now=now)
    assert list_follow_ups(session, team_id=T1, now=now, tz=UTC) == []
    assert session.get(Interaction, item.id).follow_up_done_at == now
    plain = log(session, acme)
    with pytest.raises(FollowUpNotFound, match="followups"):
        mark_follow_up_done(session, team_id=T1, interaction_id=plain.id)
    with pytest.raises(FollowUpNotFound):
        mark_follow_up_done(session, team_id=T2, interaction_id=item.id)


def test_purchases_parse_money_and_keep_their_currency(session):
    acme = create_customer(session, team_id=T1, name="Acme")
    when = datetime(2026, 1, 1, tzinfo=UTC)
    # The workspace reports in EUR: a dollar order needs the team's rate to be recorded.
    session.add(
        ExchangeRate(
            team_id=T1, currency="USD", reporting_currency="EUR", rate_date=date(2025, 1, 1),
            rate=0.9,
        )
    )  # fmt: skip
    usd = record_purchase(
        session,
        team_id=T1,
        customer_id=acme.id,
        amount="$1,234.50",
        default_currency="EUR",
        purchased_at=when,
    )
    eur = record_purchase(
        session, team_id=T1, customer_id=acme.id, amount="99", default_currency="EUR"
    )
    refund = record_purchase(
        session, team_id=T1, customer_id=acme.id, amount="-20", default_currency="USD"
    )
    assert (usd.amount, usd.currency) == (Decimal("1234.50"), "USD")
    assert (usd.reporting_amount, usd.reporting_currency) == (Decimal("1111.05"), "EUR")
    assert (eur.amount, eur.currency) == (Decimal("99"), "EUR")
    assert refund.amount == Decimal("-20")


@pytest.mark.parametrize("amount", ["ten", "12.5.3", "", "1e99", True])
def test_an_amount_that_is_not_a_number_says_so(session, amount):
    acme = create_customer(session, team_id=T1, name="Acme")
    with pytest.raises(InvalidInput, match="amount|number"):
        record_purchase(
            session, team_id=T1, customer_id=acme.id, amount=amount, default_currency="USD"
        )
    assert count(session, Purchase) == 0


def test_a_purchase_with_a_known_external_id_is_not_recorded_twice(session):
    acme = create_customer(session, team_id=T1, name="Acme")
    first = record_purchase(
        session,
        team_id=T1,
        customer_id=acme.id,
        amount="5",
        default_currency="USD",
        external_id="ORD-1",
    )
    again = record_purchase(
        session,
        team_id=T1,
        customer_id=acme.id,
        amount="5",
        default_currency="USD",
        external_id="ORD-1",
    )
    assert again.id == first.id and count(session, Purchase) == 1


@pytest.mark.parametrize("score", [11, -1, 7.5, "ten", "7.5", None, True])
def test_nps_outside_0_to_10_or_not_whole_is_refused(session, score):
    acme = create_customer(session, team_id=T1, name="Acme")
    with pytest.raises(InvalidScore, match="0"):
        record_nps(session, team_id=T1, customer_id=acme.id, score=score)
    assert count(session, NpsResponse) == 0


def test_valid_nps_scores():
    assert [valid_score(v) for v in (0, 10, "9", " 6 ")] == [0, 10, 9, 6]


def test_the_timeline_interleaves_everything_newest_first(session):
    acme = create_customer(session, team_id=T1, name="Acme")
    day = lambda n: datetime(2026, 1, n, tzinfo=UTC)  # noqa: E731
    log(session, acme, occurred_at=day(1), summary="intro call")
    record_purchase(
        session,
        team_id=T1,
        customer_id=acme.id,
        amount="10",
        default_currency="USD",
        purchased_at=day(2),
    )
    record_nps(
        session, team_id=T1, customer_id=acme.id, score=3, comment="slow", responded_at=day(3)
    )
    entries = customer_timeline(session, team_id=T1, customer_id=acme.id)
    assert [e.kind for e in entries] == ["nps", "purchase", "call"]
    assert (
        entries[0].score == 3
        and entries[1].amount == Decimal("10")
        and entries[2].text == "intro call"
    )
    assert len(customer_timeline(session, team_id=T1, customer_id=acme.id, limit=2)) == 2
