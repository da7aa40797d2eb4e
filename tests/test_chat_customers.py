"""customer (360 card), find, add customer, add contact: through the console's path."""

from __future__ import annotations

from datetime import UTC, datetime

from commands.results import CustomerCard, DidYouMean, Found, NotFound, Problem
from crm_core.customers import add_contact, create_customer
from crm_core.db import unit_of_work
from crm_core.interactions import log_interaction
from crm_core.nps import record_nps
from crm_core.purchases import record_purchase


def seed_acme(engine):
    with unit_of_work(engine) as s:
        acme = create_customer(
            s,
            team_id="T1",
            name="Acme Corp",
            owner_user_id="U0OWNER01",
            segment="Enterprise",
            email="buy@acme.com",
        )
        add_contact(
            s, team_id="T1", customer_id=acme.id, name="Jane Roe", email="jane@acme.com", role="CFO"
        )
        for day, amount in ((1, "100"), (15, "300")):
            record_purchase(
                s,
                team_id="T1",
                customer_id=acme.id,
                amount=amount,
                default_currency="USD",
                purchased_at=datetime(2026, 1, day, 17, tzinfo=UTC),
            )
        for month, score in ((1, 6), (2, 8), (3, 10)):
            record_nps(
                s,
                team_id="T1",
                customer_id=acme.id,
                score=score,
                responded_at=datetime(2026, month, 1, 17, tzinfo=UTC),
            )
        for n in range(7):
            log_interaction(
                s,
                team_id="T1",
                customer_id=acme.id,
                kind="call",
                summary=f"call number {n}",
                author_user_id="U0REP0002",
                source="console",
                occurred_at=datetime(2026, 2, n + 1, 15, tzinfo=UTC),
                follow_up_at=datetime(2026, 3, 20, 14, tzinfo=UTC) if n == 6 else None,
            )
        return acme


def test_the_360_card_shows_what_a_rep_needs(bot, engine):
    acme = seed_acme(engine)
    out = bot.exec("customer acme")
    assert isinstance(bot.result, CustomerCard)
    assert f"Acme Corp  (#{acme.id})" in out
    assert "Owner: U0OWNER01 · Segment: Enterprise · Customer since 2026-01-01" in out
    assert (
        "Orders: 2 · Revenue: $400.00 · Average order: $200.00 · Last purchase: 2026-01-15" in out
    )
    assert "NPS: 10 on 2026-03-01 (trend 6 → 8 → 10)" in out
    assert "Jane Roe, CFO <jane@acme.com>" in out
    assert "due 2026-03-20 10:00: call number 6" in out
    assert "Latest interactions (5 of 7):" in out
    assert "2026-02-07 10:00 call by U0REP0002: call number 6" in out  # newest first, local time
    assert "call number 1" not in out


def test_the_slack_card_mentions_the_owner_and_offers_buttons(bot, engine):
    acme = seed_acme(engine)
    message = bot.slack("360 Acme Corp")
    assert message["blocks"][0] == {
        "type": "header",
        "text": {"type": "plain_text", "text": "Acme Corp", "emoji": True},
    }
    text = str(message["blocks"])
    assert "<@U0OWNER01>" in text and "*Revenue:* $400.00" in text
    buttons = [e for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert buttons[0]["action_id"].startswith("crm_log") and buttons[0]["value"] == str(acme.id)
    assert any(b["value"].startswith("done #") for b in buttons)


def test_ambiguous_names_become_buttons_that_rerun_the_command(bot, engine):
    bot.exec("add customer Acme Rockets")
    bot.exec("add customer Acme Robotics")
    message = bot.slack("customer acme ro")
    assert isinstance(bot.result, DidYouMean)
    buttons = [e for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]]
    labels = {b["text"]["text"] for b in buttons}
    assert {"Acme Rockets", "Acme Robotics"} <= labels
    assert all(b["value"].startswith("customer #") for b in buttons)
    assert "Did you mean" in message["text"]


def test_an_unknown_customer_gets_the_closest_names_and_how_to_add_it(bot, engine):
    bot.exec("add customer Initech")
    out = bot.exec("customer Initrode")
    assert isinstance(bot.result, NotFound)
    assert "Initech  → customer #" in out and "To add it: add customer Initrode" in out


def test_find_by_name_email_and_contact(bot, engine):
    acme = seed_acme(engine)
    bot.exec("add customer Globex")
    for query, matched in (
        ("acme", "name"),
        ("buy@acme.com", "email"),
        ("Jane Roe", "contact Jane Roe"),
    ):
        bot.exec(f"find {query}")
        assert isinstance(bot.result, Found)
        assert [(m.customer_id, m.matched_on) for m in bot.result.matches][:1] == [
            (acme.id, matched)
        ]
    assert "No customer matches" in bot.exec("find zzzqqq")


def test_add_customer_with_email_owner_mention_and_segment(bot, engine):
    out = bot.exec(
        "add customer Umbrella Health email ops@umbrella.example "
        "owner <@U0JANE001|jane> segment SMB"
    )
    assert (
        "Added customer Umbrella Health" in out
        and "owner U0JANE001" in out
        and "segment SMB" in out
    )
    again = bot.exec("add customer umbrella health")
    assert isinstance(bot.result, Problem) and "is already a customer" in again
    bad = bot.exec("add customer Initech owner jane")
    assert "I don't know who 'jane' is" in bad and "people add @jane" in bad
    assert "Usage: add customer" in bad
    mine = bot.exec("add customer Hooli")
    assert "owner U0REP0001" in mine  # the one who adds it owns it


def test_add_contact_to_a_customer(bot, engine):
    seed_acme(engine)
    out = bot.exec(
        "add contact Wile E. Coyote to acme email wile@acme.com phone +1 555 0100 role Buyer"
    )
    assert "Added Wile E. Coyote (Buyer) as a contact at Acme Corp." in out
    assert "Wile E. Coyote, Buyer <wile@acme.com> +1 555 0100" in bot.exec("customer acme")
    assert "say who and where" in bot.exec("add contact Jane")
    assert "not an email address" in bot.exec("add contact Road Runner to acme email beep")


def test_a_company_whose_name_reads_like_anothers_can_be_added_as_new(bot, engine):
    bot.exec("add customer Simpson Inc")
    out = bot.exec("add customer Simpson")
    assert isinstance(bot.result, Problem) and "Simpson Inc is already a customer (#1)" in out
    assert [c.command for c in bot.result.choices] == [
        "customer #1",
        "add customer Simpson as new",
    ]
    added = bot.exec(bot.result.choices[1].command)
    assert "Added customer Simpson (#2)" in added
    assert "Simpson Inc" in bot.exec("customer simpson inc")  # spelt as typed: no question
    bot.exec("customer simpson co")
    assert isinstance(bot.result, DidYouMean)


def test_find_names_the_customer_of_a_contact_before_names_merely_alike(bot, engine):
    for n in range(12):  # enough look-alike names to fill a whole answer
        bot.exec(f"add customer Jane Rowe Trading {n}")
    bot.exec("add customer Simpson Inc")
    bot.exec("add contact Jane Roe to simpson")
    out = bot.exec("find Jane Roe")
    assert isinstance(bot.result, Found)
    assert bot.result.matches[0].name == "Simpson Inc", out
    assert "(by contact Jane Roe)" in out
    bot.exec("add contact Ann 100 percent sure to simpson")
    bot.exec("find 100%_sure")  # LIKE's wildcards, typed, are text and match no contact
    assert not [m for m in bot.result.matches if m.matched_on.startswith("contact")]
