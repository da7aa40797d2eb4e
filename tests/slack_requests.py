"""Requests shaped like Slack's own, signed with the app's signing secret, sent over HTTP.

Bodies follow Slack's documentation: a slash command is a form body, an event is an
`event_callback` JSON envelope, interactions (buttons, shortcuts, view submissions) are a
form body with one `payload` field holding JSON.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from itertools import count
from urllib.parse import urlencode

SIGNING_SECRET = "test-signing-secret-0123456789abcdef"
_ids = count(1)


@dataclass
class Reply:
    status: int
    body: bytes
    seconds: float

    def json(self) -> dict:
        return json.loads(self.body) if self.body else {}


def signature(secret: str, timestamp: str, body: bytes) -> str:
    base = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


@dataclass
class SlackSender:
    """Posts to the bot's /slack/events as Slack would, for one workspace."""

    url: str
    secret: str = SIGNING_SECRET
    team_id: str = "T1"

    def post(
        self,
        body: bytes,
        content_type: str,
        *,
        timestamp: str | None = None,
        headers: dict[str, str] | None = None,
        secret: str | None = None,
    ) -> Reply:
        timestamp = timestamp or str(int(time.time()))
        sent = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": timestamp,
            "X-Slack-Signature": signature(secret or self.secret, timestamp, body),
            **(headers or {}),
        }
        request = urllib.request.Request(self.url, data=body, headers=sent, method="POST")
        started = time.perf_counter()
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return Reply(response.status, response.read(), time.perf_counter() - started)
        except urllib.error.HTTPError as error:
            return Reply(error.code, error.read(), time.perf_counter() - started)

    def slash(self, text: str, *, response_url: str, user: str = "U0REP0001", **kw) -> Reply:
        form = {
            "token": "legacy-verification-token",
            "team_id": self.team_id,
            "team_domain": "acme-sales",
            "channel_id": "C0SALES",
            "channel_name": "sales",
            "user_id": user,
            "user_name": "rep",
            "command": "/crm",
            "text": text,
            "api_app_id": "A0CRM",
            "is_enterprise_install": "false",
            "response_url": response_url,
            "trigger_id": f"{next(_ids)}.1.abc",
        }
        return self.post(urlencode(form).encode(), "application/x-www-form-urlencoded", **kw)

    def event(
        self,
        event: dict,
        *,
        event_id: str | None = None,
        retry: int = 0,
        ext_shared: bool = False,
        **kw,
    ) -> Reply:
        """An event_callback envelope; `ext_shared` as Slack marks a Slack Connect channel's."""
        envelope = {
            "token": "legacy-verification-token",
            "team_id": self.team_id,
            "api_app_id": "A0CRM",
            "event": event,
            "type": "event_callback",
            "event_id": event_id or f"Ev{next(_ids):08d}",
            "event_time": int(time.time()),
            "authorizations": [
                {
                    "team_id": self.team_id,
                    "user_id": "UBOT",
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
            "is_ext_shared_channel": ext_shared,
        }
        headers = kw.pop("headers", {}) or {}
        if retry:
            headers |= {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
        body = json.dumps(envelope).encode()
        return self.post(body, "application/json", headers=headers, **kw)

    def mention(
        self,
        text: str,
        *,
        user: str = "U0REP0001",
        ts: str | None = None,
        user_team: str | None = None,
        **kw,
    ) -> Reply:
        """An app_mention in #sales; `user_team` names the user's own workspace, as Slack does
        for a user of another organisation in a Slack Connect channel."""
        event = {
            "type": "app_mention",
            "user": user,
            "text": f"<@UBOT> {text}",
            "ts": ts or f"1700000{next(_ids):03d}.000100",
            "channel": "C0SALES",
            "event_ts": ts or "1700000000.000100",
        }
        if user_team:
            event |= {"user_team": user_team, "source_team": user_team}
        return self.event(event, **kw)

    def direct_message(
        self, text: str, *, user: str = "U0REP0001", user_team: str | None = None, **kw
    ) -> Reply:
        """A message to the bot in its direct-message channel with `user`."""
        ts = f"1700001{next(_ids):03d}.000100"
        event = {
            "type": "message",
            "channel_type": "im",
            "channel": f"D{user}",
            "user": user,
            "text": text,
            "ts": ts,
            "event_ts": ts,
        }
        if user_team:
            event |= {"user_team": user_team, "source_team": user_team}
        return self.event(event, **kw)

    def click(
        self,
        action_id: str,
        value: str,
        *,
        response_url: str | None = None,
        team: str | None = None,
        user: str = "U0REP0001",
        user_team: str | None = None,
        **kw,
    ) -> Reply:
        """A block_actions payload for one button: on a message (with its response_url) or,
        without a response_url, on the App Home; `user_team` for a user of another
        organisation (their own workspace)."""
        team = team or self.team_id
        payload: dict = {
            "type": "block_actions",
            "team": {"id": team, "domain": "acme-sales"},
            "user": {"id": user, "team_id": user_team or team},
            "api_app_id": "A0CRM",
            "trigger_id": f"{next(_ids)}.2.abc",
            "actions": [
                {
                    "type": "button",
                    "action_id": action_id,
                    "block_id": "b1",
                    "value": value,
                    "action_ts": "1700000001.000200",
                }
            ],
        }
        if response_url:
            payload["response_url"] = response_url
            payload["channel"] = {"id": "C0SALES"}
            payload["container"] = {"type": "message", "message_ts": "1700000000.000100"}
        else:
            payload["container"] = {"type": "view", "view_id": "V0HOME"}
            payload["view"] = {"id": "V0HOME", "type": "home"}
        return self.interaction(payload, **kw)

    def interaction(self, payload: dict, **kw) -> Reply:
        body = urlencode({"payload": json.dumps(payload)}).encode()
        return self.post(body, "application/x-www-form-urlencoded", **kw)
