"""The Slack emulator answers the real slack_sdk clients over HTTP, as Slack would."""

from __future__ import annotations

import json
import threading
import time
import urllib.request

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import (
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.webhook import WebhookClient

BLOCKS = [{"type": "section", "text": {"type": "mrkdwn", "text": "*Acme* logged a call"}}]
# The PNG signature plus bytes a text-minded parser would mangle.
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\r\n--\n\xff\xfe"


def test_post_message_is_recorded_with_its_blocks_and_text(slack, client):
    first = client.chat_postMessage(channel="C1", text="Acme logged a call", blocks=BLOCKS)
    second = client.chat_postMessage(channel="C1", text="again", thread_ts=first["ts"])

    assert first["ts"] == "1700000000.000100"
    assert second["ts"] == "1700000000.000200"
    assert first["channel"] == "C1"
    assert first["message"]["blocks"] == BLOCKS
    assert second["message"]["thread_ts"] == first["ts"]
    call = slack.calls_to("chat.postMessage")[0]
    assert call.args["text"] == "Acme logged a call"
    assert call.json("blocks") == BLOCKS
    assert call.token == "xoxb-test"
    assert call.status == 200
    assert call.headers["Authorization"] == "Bearer xoxb-test"


def test_form_encoded_json_arguments_stay_strings_until_decoded(slack, client):
    client.api_call("chat.postMessage", params={"channel": "C1", "blocks": json.dumps(BLOCKS)})

    call = slack.calls_to("chat.postMessage")[0]
    assert isinstance(call.args["blocks"], str)
    assert call.json("blocks") == BLOCKS


def test_users_info_returns_the_configured_time_zone(slack, client):
    slack.users["U1"] = {"tz": "Europe/Paris"}

    paris = client.users_info(user="U1")["user"]
    stranger = client.users_info(user="U2")["user"]

    assert (paris["id"], paris["tz"]) == ("U1", "Europe/Paris")
    assert paris["tz_offset"] in (3600, 7200)
    assert (stranger["id"], stranger["tz"]) == ("U2", "America/New_York")
    assert stranger["tz_offset"] in (-18000, -14400)


def test_files_upload_v2_goes_through_the_external_upload_flow(slack, client):
    response = client.files_upload_v2(
        channel="C1", content=PNG, filename="chart.png", title="Chart"
    )

    assert [call.method for call in slack.calls] == [
        "files.getUploadURLExternal",
        "upload",
        "files.completeUploadExternal",
    ]
    get_url, upload, complete = slack.calls
    file_id = get_url.response["file_id"]
    assert get_url.args["filename"] == "chart.png"
    assert get_url.args["length"] == str(len(PNG))
    assert get_url.response["upload_url"] == f"{slack.root_url}/upload/{file_id}"
    assert upload.args == {"file_id": file_id, "size": len(PNG)}
    assert slack.uploads[file_id] == PNG
    assert complete.args["channel_id"] == "C1"
    assert complete.json("files") == [{"id": file_id, "title": "Chart"}]
    assert response["file"]["id"] == file_id
    assert response["file"]["title"] == "Chart"
    assert response["file"]["mimetype"] == "image/png"


def test_the_upload_url_also_takes_a_multipart_form(slack, client):
    file_id = client.files_getUploadURLExternal(filename="chart.png", length=len(PNG))["file_id"]
    body = (
        b'--XyZ\r\nContent-Disposition: form-data; name="note"\r\n\r\nweekly\r\n'
        b'--XyZ\r\nContent-Disposition: form-data; name="file"; filename="chart.png"\r\n'
        b"Content-Type: image/png\r\n\r\n" + PNG + b"\r\n--XyZ--\r\n"
    )
    headers = {"Content-Type": "multipart/form-data; boundary=XyZ"}
    request = urllib.request.Request(f"{slack.root_url}/upload/{file_id}", body, headers)

    with urllib.request.urlopen(request, timeout=5) as response:
        assert response.read() == f"OK - {len(PNG)}".encode()
    assert slack.uploads[file_id] == PNG


def test_a_rate_limited_call_reports_retry_after(slack, client):
    slack.fail_next("chat.postMessage", retry_after=7)

    with pytest.raises(SlackApiError) as raised:
        client.chat_postMessage(channel="C1", text="hi")

    assert raised.value.response.status_code == 429
    assert raised.value.response.headers["Retry-After"] == "7"
    assert raised.value.response["error"] == "ratelimited"


def test_a_rate_limited_call_is_retried_after_retry_after(slack, client):
    slack.fail_next("chat.postMessage", status=429, retry_after=1)
    client.retry_handlers.append(RateLimitErrorRetryHandler(max_retry_count=1))

    started = time.monotonic()
    response = client.chat_postMessage(channel="C1", text="hi")

    assert response["ok"]
    assert time.monotonic() - started >= 1  # the handler slept Retry-After (+ jitter)
    assert [call.status for call in slack.calls_to("chat.postMessage")] == [429, 200]


def test_a_server_error_is_retried(slack, client):
    slack.fail_next("chat.postMessage", status=500)
    client.retry_handlers.append(ServerErrorRetryHandler(max_retry_count=1))

    response = client.chat_postMessage(channel="C1", text="hi")

    assert response["ok"]
    attempts = slack.calls_to("chat.postMessage")
    assert [call.status for call in attempts] == [500, 200]
    assert attempts[0].response == {"ok": False, "error": "internal_error"}


def test_an_api_error_raises_and_only_the_next_call_fails(slack, client):
    slack.fail_next("views.open", error="expired_trigger_id")
    view = {"type": "modal", "title": {"type": "plain_text", "text": "Log a call"}, "blocks": []}

    with pytest.raises(SlackApiError) as raised:
        client.views_open(trigger_id="1.2.3", view=view)
    opened = client.views_open(trigger_id="1.2.4", view=view)

    assert raised.value.response.status_code == 200
    assert raised.value.response["error"] == "expired_trigger_id"
    assert opened["view"]["id"] == "V0001"
    assert opened["view"]["title"] == view["title"]
    assert [call.status for call in slack.calls_to("views.open")] == [200, 200]


def test_views_and_chat_methods_answer_in_slacks_shapes(slack, client):
    assert client.auth_test()["bot_id"] == "B0BOT0001"
    home = client.views_publish(user_id="U1", view={"type": "home", "blocks": BLOCKS})
    updated = client.views_update(view_id=home["view"]["id"], view={"type": "home", "blocks": []})
    assert updated["view"]["id"] == home["view"]["id"]

    posted = client.chat_postMessage(channel="C1", text="draft")
    edited = client.chat_update(channel="C1", ts=posted["ts"], text="final")
    assert (edited["ts"], edited["message"]["text"]) == (posted["ts"], "final")
    link = client.chat_getPermalink(channel="C1", message_ts=posted["ts"])
    assert link["permalink"].endswith("/archives/C1/p1700000000000100")
    assert client.chat_postEphemeral(channel="C1", user="U1", text="psst")["message_ts"]

    with pytest.raises(SlackApiError) as raised:
        client.api_call("chat.postMessage", json={"channel": "C1"})  # no text, no blocks
    assert raised.value.response["error"] == "no_text"


def test_response_url_posts_are_recorded_and_waited_for(slack):
    url = slack.response_url(key="log-call-1")

    def respond_later() -> None:  # as a lazy listener would, after the ack
        time.sleep(0.2)
        WebhookClient(url).send(text="Logged.", response_type="ephemeral")

    threading.Thread(target=respond_later).start()
    (call,) = slack.wait_for("response_url", timeout=5)

    assert call.key == "log-call-1"
    assert call.args == {"text": "Logged.", "response_type": "ephemeral"}
    assert call.response == "ok"


def test_wait_for_fails_with_a_clear_message(slack, client):
    client.auth_test()

    with pytest.raises(AssertionError, match=r"1 chat.postMessage call\(s\).*saw: auth.test"):
        slack.wait_for("chat.postMessage", timeout=0.1)


def test_an_unknown_token_gets_invalid_auth(slack, client):
    slack.tokens = {"xoxb-real"}

    with pytest.raises(SlackApiError) as raised:
        client.auth_test()
    allowed = WebClient(token="xoxb-real", base_url=slack.base_url).auth_test()

    assert raised.value.response["error"] == "invalid_auth"
    assert allowed["ok"]


def test_an_unknown_method_is_an_api_error(slack, client):
    with pytest.raises(SlackApiError) as raised:
        client.api_call("crm.nonsense")

    assert raised.value.response.status_code == 200
    assert raised.value.response["error"] == "unknown_method"
    assert slack.calls_to("crm.nonsense")[0].status == 200


def test_reset_forgets_calls_and_stop_frees_the_port(slack, client):
    client.auth_test()
    slack.reset()
    assert slack.calls == []

    base_url = slack.base_url
    slack.stop()
    with pytest.raises(RuntimeError):
        _ = slack.base_url
    with pytest.raises(OSError):
        WebClient(token="xoxb-test", base_url=base_url, timeout=2).auth_test()
