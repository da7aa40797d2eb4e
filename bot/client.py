"""The Slack Web API client: the real slack_sdk WebClient, retrying what Slack asks us to."""

from __future__ import annotations

import logging
import os

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

logger = logging.getLogger(__name__)
# Where the Web API lives; tests and demos point it at a local emulator.
DEFAULT_API_URL = "https://slack.com/api/"


def web_client(token: str | None = None, base_url: str | None = None) -> WebClient:
    """A client that retries 429 (after Retry-After), 5xx and dropped connections."""
    return WebClient(
        token=token or os.environ.get("SLACK_BOT_TOKEN"),
        base_url=base_url or os.environ.get("SLACK_API_URL") or DEFAULT_API_URL,
        timeout=10,
        # Given whole: WebClient's defaults already hold a connection-error retry.
        retry_handlers=[
            RateLimitErrorRetryHandler(max_retry_count=3),
            ServerErrorRetryHandler(max_retry_count=2),
            ConnectionErrorRetryHandler(max_retry_count=2),
        ],
    )


def posting_client(client: WebClient) -> WebClient:
    """The same client for posts that must not be repeated blindly (scheduled alerts): it
    still retries 429 (Slack refused the call) and 5xx, but not a dropped connection, after
    which Slack may already have posted; the alert runner looks in the channel instead."""
    return WebClient(
        token=client.token,
        base_url=client.base_url,
        timeout=client.timeout,
        # Given explicitly: WebClient's defaults include a connection-error retry.
        retry_handlers=[
            h for h in client.retry_handlers if not isinstance(h, ConnectionErrorRetryHandler)
        ],
    )


def permalink(client: WebClient, channel: str, ts: str | None) -> str | None:
    """The link to a message, or None when Slack will not give one (it is not essential)."""
    if not ts:
        return None
    try:
        return client.chat_getPermalink(channel=channel, message_ts=ts)["permalink"]
    except SlackApiError as exc:
        logger.warning("no permalink for %s: %s", ts, exc.response.get("error"))
        return None
