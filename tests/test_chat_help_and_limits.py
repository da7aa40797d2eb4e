"""help, unknown verbs, refused input, escaping of user text, and Block Kit limits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert

import reports
from commands.registry import VERBS
from commands.results import HelpText, Problem
from commands.text_limit import TEXT_LIMIT
from crm_core.customers import create_customer
from crm_core.db import unit_of_work
from crm_core.models import Interaction
from reports import blockkit
from reports.chat import load_templates


def test_empty_text_shows_help_listing_every_verb(bot):
    out = bot.exec("   ")
    assert isinstance(bot.result, HelpText)
    for spec in VERBS:
        assert spec.usage in out
    for verb in ("clv", "churn", "retention", "segments", "pareto", "cac"):
        assert verb in out


def test_help_for_one_verb_and_an_alias(bot):
    assert "log call with Acme: talked renewal, follow up next tue" in bot.exec("help log")
    assert "customer <name>" in bot.exec("help 360")
    assert "did you mean" in bot.exec("help lgo")


def test_unknown_verbs_get_the_closest_ones(bot):
    out = bot.exec("custmer acme")
    assert isinstance(bot.result, Problem)
    assert "I don't know 'custmer'. Did you mean `customer`" in out


def test_text_over_4000_characters_is_refused_naming_the_limit(bot):
    out = bot.exec("note acme - " + "x" * TEXT_LIMIT)
    assert f"at most {TEXT_LIMIT:,}" in out


def test_user_text_is_escaped_but_our_mentions_are_not(bot):
    bot.exec("add customer Acme <!channel> & Sons owner <@U0OWNER01>")
    message = bot.slack(
        "log note with Acme: ping <!channel> and <@U0SPY0001> & <https://evil.example|click>"
    )
    flat = " ".join([message["text"], *mrkdwn_texts(message["blocks"])])
    assert "<!channel>" not in flat and "<@U0SPY0001>" not in flat and "<https://evil" not in flat
    assert "&lt;!channel&gt;" in flat and "&amp;" in flat
    card = bot.slack("customer acme")
    assert "<@U0OWNER01>" in str(card["blocks"])  # the owner mention still works
    assert card["blocks"][0]["text"]["text"] == "Acme <!channel> & Sons"  # a header is plain text


def mrkdwn_texts(node) -> list[str]:
    """Every string Slack parses as mrkdwn (plain_text, like button labels, never pings)."""
    if isinstance(node, dict):
        found = [node["text"]] if node.get("type") == "mrkdwn" else []
        return found + [t for value in node.values() for t in mrkdwn_texts(value)]
    if isinstance(node, list):
        return [t for item in node for t in mrkdwn_texts(item)]
    return []


def walk_limits(message: dict, max_blocks: int = 50) -> None:
    """Fail on anything over Slack's Block Kit limits."""
    assert message["text"].strip()
    blocks = message["blocks"]
    assert 0 < len(blocks) <= max_blocks
    for block in blocks:
        if block["type"] == "header":
            assert len(block["text"]["text"]) <= blockkit.HEADER_TEXT
        if block["type"] == "section":
            assert len(block["text"]["text"]) <= blockkit.SECTION_TEXT
            assert len(block.get("fields", [])) <= blockkit.FIELDS
            assert all(len(f["text"]) <= blockkit.FIELD_TEXT for f in block.get("fields", []))
        if block["type"] == "actions":
            assert len(block["elements"]) <= blockkit.ACTION_ELEMENTS
            ids = [e["action_id"] for e in block["elements"]]
            assert len(ids) == len(set(ids))
            for element in block["elements"]:
                assert len(element["text"]["text"]) <= blockkit.BUTTON_TEXT
                assert len(element["value"]) <= blockkit.BUTTON_VALUE
        if block["type"] == "context":
            assert all(len(e["text"]) <= blockkit.CONTEXT_TEXT for e in block["elements"])


def test_a_huge_customer_keeps_every_block_kit_limit(bot, engine):
    name = "Mega" + "x" * 9_996
    start = datetime(2025, 1, 1, tzinfo=UTC)
    with unit_of_work(engine) as session:
        mega = create_customer(session, team_id="T1", name=name, owner_user_id="U0REP0001")
        session.execute(
            insert(Interaction),
            [
                {
                    "team_id": "T1",
                    "customer_id": mega.id,
                    "kind": "call",
                    "summary": "<!here> " + "y" * 3_000,
                    "occurred_at": start + timedelta(hours=n),
                    "author_user_id": "U0REP0001",
                    "source": "import",
                    "follow_up_at": start + timedelta(days=400 + n),
                    "follow_up_done": False,
                    "created_at": start,
                }
                for n in range(1_000)
            ],
        )
    card = bot.slack(f"customer #{mega.id}")
    walk_limits(card)
    assert card["blocks"][0]["text"]["text"].endswith("…")
    parsed = [card["text"], *mrkdwn_texts(card["blocks"])]
    assert not any("<!here>" in text for text in parsed)
    assert any("&lt;!here&gt;" in text for text in parsed)
    follow_ups = bot.slack("followups")
    walk_limits(follow_ups)
    assert (
        any("more not shown" in str(b) for b in follow_ups["blocks"])
        or len(follow_ups["blocks"]) < 50
    )
    walk_limits(bot.slack("find mega"))
    walk_limits(bot.slack("log call with mega" + "x" * 100 + ": hi"))


def test_too_many_blocks_end_with_how_many_were_left_out():
    many = [blockkit.section(f"row {n}") for n in range(120)]
    message = blockkit.message("fallback", many)
    assert len(message["blocks"]) == 50 and "71 more not shown" in str(message["blocks"][-1])
    home = blockkit.message("fallback", many, surface="home")
    assert len(home["blocks"]) == 100


def test_every_slack_template_compiles_at_start():
    # `crm serve` compiles them when a worker starts (load_templates), not on first answers.
    templates = Path(reports.__file__).with_name("templates")
    expected = len(list((templates / "slack").glob("*.j2"))) + len(list(templates.glob("_*.j2")))
    assert load_templates() == expected
