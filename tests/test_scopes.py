"""Least privilege: the manifest grants every scope the code's Web API calls and events need,
and asks for no scope that nothing uses.

The calls are found in the source, not listed by hand: every `x.chat_postMessage(...)`-like
call (a WebClient method) and every `api_call("...")` under bot/, commands/, reports/ and
crm_core/, each resolved to the Slack methods slack_sdk sends for it (files_upload_v2 is
files.getUploadURLExternal then files.completeUploadExternal). A method missing from
METHOD_SCOPES fails the test, so a new call is looked up in Slack's docs and added here.
"""

from __future__ import annotations

import ast
import html
import inspect
import re
from functools import cache
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from slack_sdk.web import client as slack_client

from bot.manifest import build_manifest
from bot.slack_ids import (
    BOT_EVENTS,
    BOT_SCOPES,
    EVENTS_PATH,
    HISTORY_SCOPES,
    INSTALL_PATH,
    bot_scopes,
)
from crm_core.settings import AlertSettings, Settings
from tests.bot_server import running_bot
from tests.oauth_install import drop_slack_tables, get, oauth_environment

ROOT = Path(__file__).parent.parent
SOURCES = ("bot", "commands", "reports", "crm_core")

# Slack's required bot scopes for each method, for the conversation types the CRM uses
# (docs.slack.dev/reference/methods/<method>). Where a method takes one scope per kind of
# conversation, the kinds listed are the ones the code passes.
METHOD_SCOPES: dict[str, tuple[str, ...]] = {
    "auth.test": (),
    "chat.postMessage": ("chat:write",),
    "chat.postEphemeral": ("chat:write",),
    "chat.update": ("chat:write",),
    "chat.getPermalink": (),
    # A 1:1 DM with the asker (mpim:write would be for group DMs, which the bot never opens).
    "conversations.open": ("im:write",),
    # The channel an alert goes to: public or private.
    "conversations.info": ("channels:read", "groups:read"),
    # `crm directory sync` lists types=public_channel,private_channel.
    "conversations.list": ("channels:read", "groups:read"),
    # The history check after a lost answer, in the (public or private) alert channel.
    "conversations.history": HISTORY_SCOPES,
    "files.getUploadURLExternal": ("files:write",),
    "files.completeUploadExternal": ("files:write",),
    "users.info": ("users:read",),
    "users.list": ("users:read",),
    "views.open": (),
    "views.publish": (),
    "views.update": (),
    "views.push": (),
}
# Methods called only when a setting asks for them (their scopes are asked for with it):
# tests/test_alert_delivery.py shows conversations.history is never called with it off.
OPT_IN = {"conversations.history": "check_history_after_timeout"}
# Each event's required scope (docs.slack.dev/reference/events/<event>).
EVENT_SCOPES: dict[str, tuple[str, ...]] = {
    "app_mention": ("app_mentions:read",),
    "message.im": ("im:history",),
    "app_home_opened": (),
    "app_uninstalled": (),
    "tokens_revoked": (),
    "user_change": ("users:read",),
}
# The slash command and both shortcuts (manifest features) need `commands`.
FEATURE_SCOPES = ("commands",)
# Bolt hands listeners `say`, which posts with chat.postMessage.
BOLT_SAY = {"say": {"chat.postMessage"}}


@cache
def sdk_methods() -> dict[str, frozenset[str]]:
    """Each public WebClient method -> the Slack methods it sends, read from slack_sdk's source."""
    tree = ast.parse(inspect.getsource(slack_client))
    (web_client,) = [n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "WebClient"]
    sends: dict[str, set[str]] = {}
    delegates: dict[str, set[str]] = {}
    for function in web_client.body:
        if not isinstance(function, ast.FunctionDef):
            continue
        sends[function.name], delegates[function.name] = set(), set()
        for node in ast.walk(function):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            if node.func.attr == "api_call" and node.args:
                if isinstance(node.args[0], ast.Constant):
                    sends[function.name].add(node.args[0].value)
            elif isinstance(node.func.value, ast.Name) and node.func.value.id == "self":
                delegates[function.name].add(node.func.attr)

    def resolve(name: str, seen: frozenset[str] = frozenset()) -> set[str]:
        found = set(sends.get(name, ()))
        for other in delegates.get(name, set()) - seen - {name}:
            found |= resolve(other, seen | {name})
        return found

    resolved = {name: frozenset(resolve(name)) for name in sends if not name.startswith("_")}
    return {name: sent for name, sent in resolved.items() if sent}


@cache
def called_methods() -> dict[str, tuple[str, ...]]:
    """Every Slack method our source calls -> where (file:line)."""
    methods = sdk_methods()
    found: dict[str, list[str]] = {}
    for folder in SOURCES:
        for path in sorted((ROOT / folder).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            for node in ast.walk(tree):
                for method in _slack_methods_of(node, methods):
                    found.setdefault(method, []).append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return {method: tuple(where) for method, where in found.items()}


def _slack_methods_of(node: ast.AST, methods: dict[str, frozenset[str]]) -> set[str]:
    if not isinstance(node, ast.Call):
        return set()
    if isinstance(node.func, ast.Name):
        return BOLT_SAY.get(node.func.id, set())
    if not isinstance(node.func, ast.Attribute):
        return set()
    if node.func.attr == "api_call":
        assert node.args and isinstance(node.args[0], ast.Constant), (
            f"line {node.lineno}: api_call with a method name this test cannot read"
        )
        return {node.args[0].value}
    return set(methods.get(node.func.attr, ()))


def granted(check_history: bool) -> set[str]:
    settings = Settings(alerts=AlertSettings(check_history_after_timeout=check_history))
    manifest = build_manifest(settings, public_url="https://crm.example.com", socket_mode=False)
    return set(manifest["oauth_config"]["scopes"]["bot"])


def test_the_scan_finds_the_calls_we_know_of():
    """The scan itself works: calls made through helpers and the SDK's own helpers show up."""
    calls = called_methods()
    assert "bot/listeners/answering.py" in " ".join(calls["conversations.open"])
    assert {"files.getUploadURLExternal", "files.completeUploadExternal"} <= set(calls)
    assert "bot/alert_runner.py" in " ".join(calls["chat.postMessage"])
    assert "conversations.history" in calls and "users.info" in calls


def test_every_called_method_has_its_scopes_in_the_table():
    unknown = {m: where for m, where in called_methods().items() if m not in METHOD_SCOPES}
    assert unknown == {}, (
        "look these methods up in Slack's docs (docs.slack.dev/reference/methods/...) and add "
        f"their bot scopes to METHOD_SCOPES: {unknown}"
    )


@pytest.mark.parametrize("check_history", [False, True])
def test_the_manifest_grants_every_scope_the_calls_need(check_history):
    scopes = granted(check_history)
    missing = {
        method: sorted(set(METHOD_SCOPES[method]) - scopes)
        for method in called_methods()
        if set(METHOD_SCOPES.get(method, ())) - scopes and (check_history or method not in OPT_IN)
    }
    assert missing == {}


@pytest.mark.parametrize("check_history", [False, True])
def test_the_manifest_grants_every_scope_its_events_need(check_history):
    scopes = granted(check_history)
    assert set(BOT_EVENTS) <= set(EVENT_SCOPES), "add the new event's scope to EVENT_SCOPES"
    missing = {e: EVENT_SCOPES[e] for e in BOT_EVENTS if set(EVENT_SCOPES[e]) - scopes}
    assert missing == {}


@pytest.mark.parametrize("check_history", [False, True])
def test_no_scope_is_asked_for_that_nothing_uses(check_history):
    needed = set(FEATURE_SCOPES)
    needed |= {s for e in BOT_EVENTS for s in EVENT_SCOPES[e]}
    needed |= {
        s
        for method in called_methods()
        if check_history or method not in OPT_IN
        for s in METHOD_SCOPES.get(method, ())
    }
    assert granted(check_history) - needed == set()


def test_reading_channel_history_is_asked_for_only_when_the_setting_is_on():
    assert granted(False) == set(BOT_SCOPES) == set(bot_scopes(check_history=False))
    assert not granted(False) & {"channels:history", "groups:history", "mpim:history"}
    assert granted(True) == set(BOT_SCOPES) | {"channels:history", "groups:history"}
    assert set(OPT_IN.values()) <= set(AlertSettings.model_fields)
    assert AlertSettings().check_history_after_timeout is False


@pytest.mark.parametrize("check_history", [False, True])
def test_the_install_link_asks_for_the_manifests_scopes(
    engine, emulator, monkeypatch, check_history
):
    """The OAuth install (multi-workspace mode) asks Slack for exactly the manifest's scopes."""
    oauth_environment(monkeypatch)
    drop_slack_tables(engine)
    alerts = AlertSettings(check_history_after_timeout=check_history)
    with running_bot(engine, emulator, alerts=alerts) as bot:
        status, page, _ = get(bot.url.removesuffix(EVENTS_PATH) + INSTALL_PATH)
    drop_slack_tables(engine)  # not the CRM's tables: the migrations test compares those
    assert status == 200
    link = urlsplit(html.unescape(re.search(r'href="([^"]*oauth/v2/authorize[^"]*)"', page)[1]))
    asked = parse_qs(link.query)["scope"][0].split(",")
    assert set(asked) == granted(check_history)


def test_the_readme_says_why_each_scope_and_event_is_there():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Scopes the app asks for", 1)[1].split("\n### ", 1)[0]
    for name in (*bot_scopes(check_history=True), *BOT_EVENTS):
        assert f"`{name}`" in section, f"README's scopes section does not mention {name}"
    assert "`alerts.check_history_after_timeout: false`" in section
