"""The manifest's bot_events and the listeners agree, both ways, in both install modes.

One way is read from the source (every `app.event(...)` a listener registers must be
subscribed, or it never fires in production); the other is sent to the real Bolt app as
signed requests (every subscribed event must reach a listener, or Bolt answers 404 and Slack
retries it and counts the app as failing).
"""

from __future__ import annotations

import ast
import time
from pathlib import Path

import pytest
from sqlmodel import select

from bot.slack_ids import BOT_EVENTS
from crm_core.db import unit_of_work
from crm_core.models import AlertSubscription, AuditEvent
from tests.bot_server import running_bot
from tests.oauth_install import drop_slack_tables, install, oauth_environment

BOT_SOURCE = Path(__file__).parent.parent / "bot"

# Each subscribed event as Slack sends it (docs.slack.dev/reference/events/<event>); the
# uninstall ones last, as after them an installed workspace's events are refused.
EVENTS = {
    "app_mention": {
        "type": "app_mention",
        "user": "U0REP0001",
        "text": "<@UBOT> help",
        "ts": "1700000000.000200",
        "channel": "C0SALES",
        "event_ts": "1700000000.000200",
    },
    "message.im": {
        "type": "message",
        "channel_type": "im",
        "user": "U0REP0001",
        "text": "help",
        "ts": "1700000000.000300",
        "channel": "D0REP0001",
        "event_ts": "1700000000.000300",
    },
    "app_home_opened": {
        "type": "app_home_opened",
        "user": "U0REP0001",
        "channel": "D0REP0001",
        "tab": "home",
        "event_ts": "1700000000.000400",
    },
    "user_change": {
        "type": "user_change",
        "user": {"id": "U0REP0001", "team_id": "T1", "is_restricted": True},
        "event_ts": "1700000000.000700",
    },
    "app_uninstalled": {"type": "app_uninstalled", "event_ts": "1700000000.000500"},
    "tokens_revoked": {
        "type": "tokens_revoked",
        "tokens": {"oauth": [], "bot": ["UBOT"]},
        "event_ts": "1700000000.000600",
    },
}


def registered_events() -> dict[str, str]:
    """Each event type a listener under bot/ registers -> where: `app.event("x")` and
    `app.message(...)` (a message event)."""
    found: dict[str, str] = {}
    for path in sorted(BOT_SOURCE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            where = f"{path.name}:{node.lineno}"
            if node.func.attr == "message":
                found.setdefault("message", where)
            elif node.func.attr == "event" and node.args:
                assert isinstance(node.args[0], ast.Constant), f"{where}: unreadable event type"
                found.setdefault(node.args[0].value, where)
    return found


def subscribed(event_type: str) -> bool:
    """Whether bot_events delivers it: `message` arrives as message.im, message.channels..."""
    if event_type == "message":
        return any(e.startswith("message.") for e in BOT_EVENTS)
    return event_type in BOT_EVENTS


def test_the_scan_finds_the_listeners():
    events = registered_events()
    assert {"app_mention", "message", "app_home_opened", "app_uninstalled"} <= set(events)


def test_every_event_a_listener_handles_is_subscribed():
    missing = {e: where for e, where in registered_events().items() if not subscribed(e)}
    assert missing == {}, f"add these to BOT_EVENTS (bot/slack_ids.py): {missing}"


def test_every_subscribed_event_has_a_request_shape_here():
    assert set(BOT_EVENTS) == set(EVENTS)


@pytest.mark.parametrize("multi_workspace", [False, True], ids=["one token", "OAuth install"])
def test_every_subscribed_event_reaches_a_listener(engine, emulator, monkeypatch, multi_workspace):
    if multi_workspace:
        oauth_environment(monkeypatch)
        drop_slack_tables(engine)
    with running_bot(engine, emulator) as bot:
        if multi_workspace:  # else Bolt refuses the events before it looks for a listener
            install(bot, emulator, "T1")
        statuses = {name: bot.event(event).status for name, event in EVENTS.items()}
    drop_slack_tables(engine)  # not the CRM's tables: the migrations test compares those
    unhandled = {name for name, status in statuses.items() if status == 404}
    assert unhandled == set(), f"Bolt found no listener for {unhandled} (404: Slack retries)"
    assert {s for name, s in statuses.items() if name not in unhandled} == {200}


def test_uninstalling_a_single_token_app_stops_its_alerts(engine, emulator):
    """With SLACK_BOT_TOKEN there is no installation to forget, but the token is dead:
    the workspace's alerts stop, audited, as in multi-workspace mode."""
    with running_bot(engine, emulator) as bot:
        bot.slash("alerts subscribe daily at 9:00", response_url=emulator.response_url())
        assert active(engine) == [True]
        assert bot.event(EVENTS["app_uninstalled"]).status == 200
        for _ in range(100):  # the event is handled after its ack
            if active(engine) == [False]:
                break
            time.sleep(0.1)
    assert active(engine) == [False]
    with unit_of_work(engine) as session:
        audited = session.exec(select(AuditEvent.action).where(AuditEvent.team_id == "T1")).all()
    assert "uninstall" in audited


def active(engine) -> list[bool]:
    with unit_of_work(engine) as session:
        return [s.active for s in session.exec(select(AlertSubscription)).all()]
