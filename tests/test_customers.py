"""Customers and contacts: adding, finding exactly and fuzzily, merging, and workspace scoping."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from rapidfuzz import fuzz
from sqlmodel import select

from crm_core.customers import (
    add_contact,
    create_customer,
    find_by_email,
    find_by_external_id,
    get_customer,
    list_contacts,
    merge_customers,
    resolve_customer,
    search_customers,
    update_customer,
)
from crm_core.errors import AmbiguousCustomer, CustomerNotFound, DuplicateExternalId, InvalidInput
from crm_core.interactions import log_interaction
from crm_core.models import Customer, CustomerMerge, Interaction, NpsResponse, Purchase
from crm_core.name_index import NameIndex, rank_names, similarities
from crm_core.names import normalize_name
from crm_core.nps import record_nps
from crm_core.purchases import record_purchase
from crm_core.timeline import customer_timeline

T1, T2 = "T1", "T2"


def test_create_and_update_a_customer(session):
    acme = create_customer(
        session,
        team_id=T1,
        name="  Acme,   Inc. ",
        email="buy@acme.com",
        owner_user_id="U1",
        segment="SMB",
    )
    assert acme.id and acme.name == "Acme, Inc." and acme.normalized_name == "acme"
    assert acme.created_at.tzinfo is not None
    update_customer(
        session, team_id=T1, customer_id=acme.id, segment="Enterprise", name="ACME Corporation"
    )
    again = get_customer(session, team_id=T1, customer_id=acme.id)
    assert again.segment == "Enterprise" and again.normalized_name == "acme"


def test_normalized_names_ignore_case_accents_punctuation_and_legal_forms():
    assert normalize_name("Société Générale S.A.") == "societe generale"
    assert normalize_name("ACME, Inc.") == normalize_name("acme") == "acme"
    assert len(normalize_name("x" * 10_000)) == 255


@pytest.mark.parametrize("name", ["", "   ", "!!!"])
def test_a_customer_needs_a_real_name(session, name):
    with pytest.raises(InvalidInput, match="name"):
        create_customer(session, team_id=T1, name=name)
    assert session.exec(select(Customer)).all() == []


def test_a_bad_email_is_refused_with_an_example(session):
    with pytest.raises(InvalidInput, match="jane@acme.com"):
        create_customer(session, team_id=T1, name="Acme", email="not-an-email")


def test_external_ids_are_unique_within_a_workspace_only(session):
    create_customer(session, team_id=T1, name="Acme", external_id="A-1")
    with pytest.raises(DuplicateExternalId, match="A-1.*already belongs to Acme"):
        create_customer(session, team_id=T1, name="Other", external_id="A-1")
    create_customer(session, team_id=T2, name="Acme elsewhere", external_id="A-1")
    other = create_customer(session, team_id=T1, name="Other")
    with pytest.raises(DuplicateExternalId):
        update_customer(session, team_id=T1, customer_id=other.id, external_id="A-1")


def test_find_by_id_external_id_and_email_stay_in_the_workspace(session):
    acme = create_customer(
        session, team_id=T1, name="Acme", external_id="A-1", email="Buy@Acme.com"
    )
    add_contact(session, team_id=T1, customer_id=acme.id, name="Jane Roe", email="jane@acme.com")
    assert find_by_external_id(session, team_id=T1, external_id="A-1").id == acme.id
    assert find_by_external_id(session, team_id=T2, external_id="A-1") is None
    assert [c.id for c in find_by_email(session, team_id=T1, email="buy@acme.com")] == [acme.id]
    assert [c.id for c in find_by_email(session, team_id=T1, email="JANE@acme.com")] == [acme.id]
    assert find_by_email(session, team_id=T2, email="jane@acme.com") == []
    with pytest.raises(CustomerNotFound):
        get_customer(session, team_id=T2, customer_id=acme.id)


def test_fuzzy_search_ranks_by_similarity(session):
    for name in ["Acme Corporation", "Acme Logistics", "Globex", "Initech", "Umbrella Health"]:
        create_customer(session, team_id=T1, name=name)
    create_customer(session, team_id=T2, name="Acme Secret")
    ranked = search_customers(session, team_id=T1, text="acme logistic")
    assert ranked[0].name == "Acme Logistics"
    assert all(s.name != "Acme Secret" for s in ranked)
    assert ranked == sorted(ranked, key=lambda s: -s.score)


def _similarity_word_by_word(wanted: str, name: str) -> float:
    """The definition `similarities` computes for all names at once, one name at a time."""
    typed, words = wanted.split(), name.split()
    if not typed or not words:
        return 0.0

    def word_score(t: str, w: str) -> float:
        return 100.0 if len(t) >= 2 and w.startswith(t) else fuzz.ratio(t, w)

    covered = sum(max(word_score(t, w) for w in words) for t in typed) / len(typed)
    named = sum(max(fuzz.ratio(w, t) for t in typed) for w in words) / len(words)
    return 0.75 * covered + 0.25 * named


def test_every_name_is_scored_as_the_word_by_word_definition_says():
    names = [
        "Acme Rockets",
        "Acme Robotics and Rockets",
        "Simpson",
        "Simpson Rowe and Odom",
        "Rowe",
        "",
        "Globex Global Exports Group",
        "acme",
        "Zamora & Halloran",
        "a b c d e f g",
    ]
    normalized = [normalize_name(n) for n in names]
    index = NameIndex(stamp=0, ids=list(range(len(names))), names=names, normalized=normalized)
    for query in ["acme ro", "simpson rowe", "rockts", "zamora", "a", "globel exprts grp"]:
        wanted = normalize_name(query)
        scores = similarities(index, wanted)
        expected = [_similarity_word_by_word(wanted, n) for n in normalized]
        assert scores.tolist() == pytest.approx(expected, abs=1e-9), query
    ranked = rank_names(index, "simpson rowe", limit=3, score_cutoff=55)
    assert [s.name for s in ranked][:1] == ["Simpson Rowe and Odom"]


def test_resolve_prefers_exact_then_takes_only_a_clear_fuzzy_winner(session):
    acme = create_customer(session, team_id=T1, name="Acme Corporation", external_id="42")
    create_customer(session, team_id=T1, name="Acme Rockets")
    create_customer(session, team_id=T1, name="Acme Robotics")
    globex = create_customer(session, team_id=T1, name="Globex")
    assert resolve_customer(session, team_id=T1, text="acme corp.").id == acme.id
    assert resolve_customer(session, team_id=T1, text="42").id == acme.id
    assert resolve_customer(session, team_id=T1, text=f"#{globex.id}").id == globex.id
    assert resolve_customer(session, team_id=T1, text="globexx").id == globex.id
    with pytest.raises(AmbiguousCustomer) as caught:
        resolve_customer(session, team_id=T1, text="acme ro")
    assert {"Acme Rockets", "Acme Robotics"} <= {c.name for c in caught.value.candidates}


def test_unknown_customer_carries_the_closest_names(session):
    create_customer(session, team_id=T1, name="Initech")
    with pytest.raises(CustomerNotFound) as caught:
        resolve_customer(session, team_id=T1, text="Initrode")
    assert [s.name for s in caught.value.suggestions] == ["Initech"]
    with pytest.raises(CustomerNotFound) as nothing:
        resolve_customer(session, team_id=T1, text="zzzzqqqq")
    assert nothing.value.suggestions == []


def test_same_normalized_name_twice_is_ambiguous_never_a_guess(session):
    create_customer(session, team_id=T1, name="Acme Inc")
    create_customer(session, team_id=T1, name="ACME Ltd")
    with pytest.raises(AmbiguousCustomer):
        resolve_customer(session, team_id=T1, text="acme")


def test_contacts_need_a_name_and_belong_to_a_customer_of_the_workspace(session):
    acme = create_customer(session, team_id=T1, name="Acme")
    with pytest.raises(InvalidInput, match="contact needs a name"):
        add_contact(session, team_id=T1, customer_id=acme.id, name=" ")
    with pytest.raises(CustomerNotFound):
        add_contact(session, team_id=T2, customer_id=acme.id, name="Spy")
    add_contact(session, team_id=T1, customer_id=acme.id, name="Jane", role="CFO", phone="+1 555")
    assert [c.name for c in list_contacts(session, team_id=T1, customer_id=acme.id)] == ["Jane"]


def test_merge_moves_everything_and_keeps_a_record(session):
    now = datetime(2026, 1, 5, tzinfo=UTC)
    keep = create_customer(session, team_id=T1, name="Acme Corp")
    dup = create_customer(
        session,
        team_id=T1,
        name="ACME Corporation",
        external_id="CRM-7",
        email="a@acme.com",
        segment="SMB",
    )
    add_contact(session, team_id=T1, customer_id=dup.id, name="Jane")
    log_interaction(
        session,
        team_id=T1,
        customer_id=dup.id,
        kind="call",
        summary="hi",
        author_user_id="U1",
        source="console",
    )
    record_purchase(
        session,
        team_id=T1,
        customer_id=dup.id,
        amount="$10",
        default_currency="USD",
        purchased_at=now,
    )
    record_nps(session, team_id=T1, customer_id=dup.id, score=9, responded_at=now)
    record = merge_customers(session, team_id=T1, keep_id=keep.id, merge_id=dup.id, merged_by="U9")
    assert (
        record.moved_contacts,
        record.moved_interactions,
        record.moved_purchases,
        record.moved_nps_responses,
    ) == (
        1,
        1,
        1,
        1,
    )
    assert session.get(Customer, dup.id) is None
    for table in (Interaction, Purchase, NpsResponse):
        assert {row.customer_id for row in session.exec(select(table)).all()} == {keep.id}
    kept = get_customer(session, team_id=T1, customer_id=keep.id)
    assert kept.email == "a@acme.com" and kept.segment == "SMB" and kept.external_id == "CRM-7"
    assert find_by_external_id(session, team_id=T1, external_id="CRM-7").id == keep.id
    stored = session.exec(select(CustomerMerge)).one()
    assert stored.merged_name == "ACME Corporation" and stored.merged_by == "U9"
    assert len(customer_timeline(session, team_id=T1, customer_id=keep.id)) == 3


def test_merge_refuses_itself_and_other_workspaces(session):
    a = create_customer(session, team_id=T1, name="A")
    b = create_customer(session, team_id=T2, name="B")
    with pytest.raises(InvalidInput, match="itself"):
        merge_customers(session, team_id=T1, keep_id=a.id, merge_id=a.id)
    with pytest.raises(CustomerNotFound):
        merge_customers(session, team_id=T1, keep_id=a.id, merge_id=b.id)


def test_merged_external_id_keeps_resolving_after_the_duplicate_is_gone(session):
    keep = create_customer(session, team_id=T1, name="Keep", external_id="K")
    dup = create_customer(session, team_id=T1, name="Dup", external_id="D")
    merge_customers(session, team_id=T1, keep_id=keep.id, merge_id=dup.id)
    assert find_by_external_id(session, team_id=T1, external_id="D").id == keep.id
    assert get_customer(session, team_id=T1, customer_id=keep.id).external_id == "K"


def test_acquisition_cost_is_money(session):
    c = create_customer(
        session,
        team_id=T1,
        name="Paid",
        acquisition_channel="Ads",
        acquisition_cost=Decimal("12.50"),
    )
    session.commit()
    session.expire_all()
    assert get_customer(session, team_id=T1, customer_id=c.id).acquisition_cost == Decimal("12.50")


def test_warm_up_loads_every_workspaces_names_once(session):
    from sqlalchemy import event

    from crm_core.name_index import name_index, warm_up

    create_customer(session, team_id="T1", name="Acme Corp")
    create_customer(session, team_id="T2", name="Globex")
    session.commit()  # a new stamp: whatever an earlier test cached is out of date
    assert warm_up(session) == 2
    statements: list[str] = []
    engine = session.get_bind()

    def record(conn, cursor, statement, *args) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        assert name_index(session, team_id="T2").names == ["Globex"]
        assert name_index(session, team_id="T1").names == ["Acme Corp"]
    finally:
        event.remove(engine, "before_cursor_execute", record)
    # Only the freshness checks ran: the names came from what warm_up loaded.
    assert statements and not any("normalized_name" in s for s in statements)
