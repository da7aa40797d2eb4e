"""The emulator's channels, as retention alerts meet them: membership, history, slow answers."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest
from slack_sdk.errors import SlackApiError

METADATA = {"event_type": "retention_alert", "event_payload": {"customer_id": 42}}


def error_of(call: Callable[[], object]) -> str:
    """The Slack error the call raised."""
    with pytest.raises(SlackApiError) as raised:
        call()
    return raised.value.response["error"]


def test_without_channels_configured_any_channel_takes_posts(slack, client):
    assert client.chat_postMessage(channel="C0ANY", text="hi")["ok"]
    info = client.conversations_info(channel="C0ANY")["channel"]
    assert (info["id"], info["name"], info["is_member"]) == ("C0ANY", "c0any", True)
    assert (info["is_channel"], info["is_archived"], info["is_private"]) == (True, False, False)


def test_configured_channels_refuse_unknown_and_unjoined_ones(slack, client):
    slack.channels["C1"] = {"name": "retention-alerts", "is_member": True}
    slack.channels["C2"] = {"name": "sales", "is_member": False}
    slack.channels["C3"] = {"name": "old-alerts", "is_member": True, "is_archived": True}

    assert client.chat_postMessage(channel="C1", text="in")["channel"] == "C1"
    assert error_of(lambda: client.chat_postMessage(channel="C9", text="x")) == (
        "channel_not_found"
    )
    assert error_of(lambda: client.chat_postMessage(channel="G9", text="x")) == (
        "channel_not_found"
    )
    assert error_of(lambda: client.chat_postMessage(channel="C2", text="x")) == "not_in_channel"
    assert error_of(lambda: client.chat_postMessage(channel="C3", text="x")) == "is_archived"
    # DMs by conversation id or by user id always go through.
    for dm in ("D0DM0001", "U0REP0001", "W0REP0002"):
        assert client.chat_postMessage(channel=dm, text="dm")["ok"]
    assert [m["text"] for m in slack.messages_in("C1")] == ["in"]
    assert slack.messages_in("C2") == []


def test_conversations_info_describes_configured_channels_only(slack, client):
    slack.channels["C1"] = {"name": "retention-alerts", "is_member": False}

    info = client.conversations_info(channel="C1")["channel"]

    assert info == {
        "id": "C1",
        "name": "retention-alerts",
        "is_channel": True,
        "is_member": False,
        "is_archived": False,
        "is_private": False,
    }
    assert error_of(lambda: client.conversations_info(channel="C2")) == "channel_not_found"


def test_history_is_newest_first_with_metadata_only_when_asked(slack, client):
    first = client.chat_postMessage(channel="C1", text="one", metadata=METADATA)
    client.chat_postMessage(channel="C1", text="two")
    client.chat_postMessage(channel="C2", text="elsewhere")

    plain = client.conversations_history(channel="C1")
    full = client.conversations_history(channel="C1", include_all_metadata=True)
    latest = client.conversations_history(channel="C1", limit=1)
    newer = client.conversations_history(channel="C1", oldest=first["ts"])

    assert [m["text"] for m in plain["messages"]] == ["two", "one"]
    assert plain["has_more"] is False
    assert all("metadata" not in m for m in plain["messages"])
    assert full["messages"][1]["metadata"] == METADATA
    assert full["messages"][1]["ts"] == first["ts"]
    assert full["messages"][1]["bot_id"] == first["message"]["bot_id"]
    assert [m["text"] for m in latest["messages"]] == ["two"]
    assert latest["has_more"] is True
    assert [m["text"] for m in newer["messages"]] == ["two"]
    # messages_in: oldest first, metadata decoded as blocks are.
    assert [m["text"] for m in slack.messages_in("C1")] == ["one", "two"]
    assert slack.messages_in("C1")[0]["metadata"] == METADATA


def test_history_of_an_unknown_channel_is_refused_when_channels_are_configured(slack, client):
    slack.channels["C1"] = {"name": "retention-alerts", "is_member": True}

    assert client.conversations_history(channel="C1")["messages"] == []
    assert error_of(lambda: client.conversations_history(channel="C2")) == "channel_not_found"


def test_failed_posts_are_not_kept(slack, client):
    slack.fail_next("chat.postMessage", error="internal_error")

    assert error_of(lambda: client.chat_postMessage(channel="C1", text="x")) == "internal_error"
    assert slack.messages_in("C1") == []


def test_a_delayed_post_is_recorded_and_stored_before_the_answer(slack, client):
    slack.delay_next("chat.postMessage", 0.5)
    answered = threading.Event()

    def post() -> None:
        client.chat_postMessage(channel="C1", text="slow")
        answered.set()

    started = time.monotonic()
    threading.Thread(target=post, daemon=True).start()
    slack.wait_for("chat.postMessage")

    assert not answered.is_set()
    assert [m["text"] for m in slack.messages_in("C1")] == ["slow"]
    assert answered.wait(5)
    assert time.monotonic() - started >= 0.5
    # Only the next call was delayed.
    started = time.monotonic()
    client.chat_postMessage(channel="C1", text="fast")
    assert time.monotonic() - started < 0.4


def test_a_delay_covers_times_calls_and_other_methods_go_on_meanwhile(slack, client):
    slack.delay_next("chat.postMessage", 0.3, times=2)
    threading.Thread(
        target=lambda: client.chat_postMessage(channel="C1", text="slow"), daemon=True
    ).start()
    slack.wait_for("chat.postMessage")

    started = time.monotonic()
    client.auth_test()
    assert time.monotonic() - started < 0.25
    started = time.monotonic()
    client.chat_postMessage(channel="C1", text="slow too")
    assert time.monotonic() - started >= 0.3


def test_calls_carry_their_arrival_time(slack, client):
    before = time.monotonic()
    client.chat_postMessage(channel="C1", text="one")
    time.sleep(0.05)
    client.chat_postMessage(channel="C1", text="two")
    after = time.monotonic()

    first, second = slack.calls_to("chat.postMessage")
    assert before <= first.at < second.at <= after
    assert second.at - first.at >= 0.05


def test_reset_forgets_messages_and_delays_but_keeps_channels(slack, client):
    slack.channels["C1"] = {"name": "retention-alerts", "is_member": True}
    client.chat_postMessage(channel="C1", text="before")
    slack.delay_next("chat.postMessage", 5)

    slack.reset()

    started = time.monotonic()
    client.chat_postMessage(channel="C1", text="after")
    assert time.monotonic() - started < 1
    assert [m["text"] for m in slack.messages_in("C1")] == ["after"]
    assert slack.channels == {"C1": {"name": "retention-alerts", "is_member": True}}
    assert error_of(lambda: client.chat_postMessage(channel="C2", text="x")) == (
        "channel_not_found"
    )
