"""No Slack token, secret or response URL in the logs: `crm -vv serve` (DEBUG) through an
install, a reinstall, a badly signed request and a failing listener, its whole log read back;
and the redaction of a record's arguments and traceback on their own."""

from __future__ import annotations

import io
import logging
import os
import subprocess
import time
from pathlib import Path

import pytest

from crm_core.log_redaction import install_log_redaction, redact
from tests.oauth_install import SECRET_KEY, install
from tests.slack_emulator import SlackEmulator
from tests.slack_requests import SIGNING_SECRET, SlackSender
from tests.test_serve import CRM, free_port, wait_healthy

CLIENT_SECRET = "client-secret-for-tests"
HOOK = "https://hooks.slack.com/commands/T2/1234567890/SeCrEtPaRt0123"
CHECKOUT = Path(__file__).parent.parent  # the code under test, for the subprocess


def assert_nothing_secret(log: str, tokens: list[str]) -> None:
    for secret in [*tokens, SIGNING_SECRET, CLIENT_SECRET, SECRET_KEY, "SeCrEtPaRt0123"]:
        assert secret not in log, f"{secret[:12]}… is in the log"
    assert "xoxb-" not in log and "hooks.slack.com/commands/T2" not in log


def test_crm_serve_at_debug_logs_no_token_secret_or_response_url(tmp_path):
    assert CRM, "the crm command is not installed next to this Python"
    port = free_port()
    with SlackEmulator() as emulator:
        env = os.environ | {
            "PYTHONPATH": str(CHECKOUT),
            "CRM_DATABASE_URL": f"sqlite:///{tmp_path / 'crm.db'}",
            "SLACK_CLIENT_ID": "1111.2222",
            "SLACK_CLIENT_SECRET": CLIENT_SECRET,
            "CRM_SECRET_KEYS": SECRET_KEY,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": emulator.base_url,
        }
        for name in ("SLACK_APP_TOKEN", "SLACK_BOT_TOKEN"):
            env.pop(name, None)
        process = subprocess.Popen(
            [CRM, "-vv", "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
             "--no-scheduler"],
            env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            wait_healthy(f"http://127.0.0.1:{port}/healthz", process)
            bot = SlackSender(f"http://127.0.0.1:{port}/slack/events", team_id="T2")
            install(bot, emulator, "T2")
            install(bot, emulator, "T2")  # a reinstall
            forged = bot.slash("customer acme", response_url=HOOK, secret="not-the-secret")
            assert forged.status == 401
            assert bot.slash("customer acme", response_url=emulator.response_url()).status == 200
            bot.click("crm_log", "999999", response_url=emulator.response_url())  # fails
        finally:
            process.terminate()
            try:
                output, _ = process.communicate(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                pytest.fail("crm serve did not stop on SIGTERM")
    log = output.decode()
    # The log is the detailed one, and it saw what could leak.
    assert "DEBUG slack_sdk" in log and "oauth.v2.access" in log
    assert "Invalid request signature" in log and "response_url=[redacted]" in log
    assert_nothing_secret(log, list(emulator.installed))


@pytest.fixture
def captured():
    """The root logger at DEBUG into a string, with the redaction installed as `crm` does."""
    root, out = logging.getLogger(), io.StringIO()
    handler, level = logging.StreamHandler(out), root.level
    factory = logging.getLogRecordFactory()
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    install_log_redaction()
    yield out
    root.removeHandler(handler)
    root.setLevel(level)
    logging.setLogRecordFactory(factory)


def test_arguments_and_tracebacks_are_redacted(captured, monkeypatch):
    monkeypatch.setenv("SLACK_SIGNING_SECRET", SIGNING_SECRET)
    logger = logging.getLogger("slack_bolt.App")
    logger.debug("response: %s", {"access_token": "xoxe.xoxb-1-ABC", "refresh_token": "xoxe-1-R"})
    try:
        raise RuntimeError(f"signed with {SIGNING_SECRET}, posting to {HOOK}")
    except RuntimeError:
        logger.exception("listener failed with token %s", "xapp-1-A0-123-abc")
    log = captured.getvalue()
    assert "Traceback" in log and "RuntimeError: signed with [redacted]" in log
    for secret in ("xoxe", "xapp-1", SIGNING_SECRET, "SeCrEtPaRt0123"):
        assert secret not in log


@pytest.mark.parametrize(
    "text",
    [
        "body: token=S3CR3T&response_url=https%3A%2F%2Fhooks.slack.com%2Factions%2FT1%2FS3CR3T&x=1",
        "payload=%7B%22response_url%22%3A%22https%3A%5C%2F%5C%2Fexample.test%5C%2FS3CR3T%22%7D",
        '{"response_url": "https://example.test/S3CR3T", "token": "S3CR3T"}',
        "{'client_secret': 'S3CR3T', 'bot_token': 'S3CR3T'}",
        "https://hooks.slack.com/services/T0/B0/S3CR3T posted",
        "xoxb-S3CR3T xoxp-1-S3CR3T xoxa-2-S3CR3T xoxr-S3CR3T xoxe-1-S3CR3T xapp-1-S3CR3T",
        "xoxe.xoxb-1-S3CR3T",
    ],
)
def test_every_shape_of_a_secret_is_redacted(text):
    redacted = redact(text, [])
    assert "S3CR3T" not in redacted and "[redacted]" in redacted


def test_words_that_only_look_like_secrets_are_left_alone():
    text = "the token is used; 3 tokens; response_url missing"
    assert redact(text, []) == text


@pytest.mark.parametrize(
    "text",
    [
        "://a:" * 40_000,  # a URL's user:password@, never closed
        '"token": "' * 20_000,
        "token=" * 40_000,
        "hooks.slack.com/" * 20_000,
        "xoxe.xoxb" * 20_000,
        ("%22response_url%22%3A%22" + "a" * 50) * 4_000,
    ],
)
def test_a_strangers_long_body_is_redacted_in_linear_time(text):
    """Bolt logs the body of a badly signed request, which anyone can send: 200 KB of the
    worst shapes must not stall the worker (a quadratic pattern takes over ten seconds)."""
    started = time.perf_counter()
    redact(text, ["a-secret-value"])
    assert time.perf_counter() - started < 1.0
