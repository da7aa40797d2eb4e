"""A small Slack Web API emulator: tests point the real slack_sdk at it, over HTTP.

    with SlackEmulator() as slack:
        client = WebClient(token="xoxb-test", base_url=slack.base_url)
        client.chat_postMessage(channel="C1", text="hi")
        assert slack.calls_to("chat.postMessage")[0].args["text"] == "hi"

It answers the Web API methods the assistant uses with the response shapes of Slack's docs,
takes file uploads (files.getUploadURLExternal hands out an upload URL pointing back here),
records posts to response URLs, and can fail the next calls of a method (HTTP 429 or 500, or an
API error) so that retries and error handling can be tested, or delay their answers. Every request
is recorded as a Call. Posted messages are kept per channel (conversations.history reads them
back); with `channels` configured, posting to an unknown channel or one the bot is not in fails
as it does on Slack:

    slack.channels["C1"] = {"name": "retention-alerts", "is_member": True}
    client.chat_postMessage(channel="C2", text="hi")  # SlackApiError: channel_not_found

It also speaks Socket Mode: apps.connections.open (with an app-level `xapp-` token) hands out a
ws:// URL to a WebSocket endpoint here, which greets each connection with Slack's `hello`; the
test pushes envelopes to the app and reads the acknowledgements it sends back:

    envelope_id = slack.socket_send("slash_commands", {"command": "/crm", "text": "help", ...})
    ack = slack.wait_for_ack(envelope_id)  # ack.payload: what the app answered in the ack
"""

from __future__ import annotations

import copy
import json
import mimetypes
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from email.message import Message
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit
from uuid import uuid4
from zoneinfo import ZoneInfo

from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response
from websockets.sync.server import Server as WebSocketServer
from websockets.sync.server import ServerConnection
from websockets.sync.server import serve as serve_websocket

TEAM_ID = "T0EMULATE"
TEAM_NAME = "Emulated Workspace"
BOT_USER_ID = "U0BOT0001"
BOT_NAME = "crm-assistant"
BOT_ID = "B0BOT0001"
APP_ID = "A0APP0001"
WORKSPACE_URL = "https://emulated.slack.com/"
DEFAULT_TZ = "America/New_York"
FIRST_TS = 1_700_000_000  # message timestamps count up from here, 100 µs apart
SOCKET_PATH = "/link/"  # where apps.connections.open URLs point, as Slack's wss-primary URLs do
_SOCKET_HOST = "applink-emulator"  # debug_info.host in hello and disconnect messages
# Methods an app-level token may call; Slack refuses it (not_allowed_token_type) everywhere else.
APP_TOKEN_METHODS = frozenset({"apps.connections.open"})
# Called with the app's client id and secret instead of a token.
NO_TOKEN_METHODS = frozenset({"oauth.v2.access"})
# Interactions whose acknowledgement may carry an answer (errors, options), besides slash commands.
_ANSWERED_IN_ACK = frozenset({"view_submission", "block_suggestion"})

Handler = Callable[["Call"], dict[str, Any]]
_DROP = 0  # a _Reply status meaning: close the connection without answering


@dataclass
class Call:
    """One request the emulator received, and how it was answered."""

    method: str  # e.g. "chat.postMessage"; "upload" and "response_url" for those URLs
    args: dict[str, Any]  # query string + body; "token" moves to the token field
    token: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    status: int = 200  # the HTTP status answered: failed attempts are recorded too
    key: str | None = None  # the <key> of a response_url
    response: Any = None  # the body answered: a dict for API methods, text otherwise
    at: float = field(default_factory=time.monotonic)  # time.monotonic() when it was received

    def json(self, name: str) -> Any:
        """Argument `name` decoded: form bodies carry blocks/view as JSON strings, JSON bodies
        carry them as lists/dicts already."""
        return _decoded(self.args[name])


@dataclass(frozen=True)
class SocketAck:
    """One acknowledgement the app sent back over Socket Mode: {"envelope_id", "payload"?}."""

    envelope_id: str
    payload: dict[str, Any] | None  # the answer in the ack (slash commands, modals), if any
    seconds: float | None  # from sending the envelope to its ack; None for an unknown envelope


@dataclass(frozen=True)
class _Reply:
    status: int
    body: dict[str, Any] | str  # a dict is sent as JSON, a str as plain text
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class _Failure:
    status: int
    error: str
    retry_after: int

    def reply(self) -> _Reply:
        headers = {"Retry-After": str(self.retry_after)} if self.status == 429 else {}
        return _Reply(self.status, {"ok": False, "error": self.error}, headers)


class SlackEmulator:
    """Slack's Web API on 127.0.0.1, on a free port, served from a daemon thread.

    Configure before the calls: `users` (user id -> fields overriding the users.info defaults,
    e.g. {"tz": "Europe/Paris"}), `channels` (channel id -> {"name", "is_member", "is_archived"?};
    when non-empty, chat.postMessage to another C/G channel gets channel_not_found, to one with
    is_member False not_in_channel, to an archived one is_archived; DMs always go through),
    `tokens` (when non-empty, other tokens get invalid_auth; add the app-level token too for
    Socket Mode) and `handlers` (method name -> function of the Call returning the response body;
    add to it to answer more methods). Inspect afterwards: `calls` (each with its arrival time
    `at`), `calls_to()`, `wait_for()`, `messages_in()`, `uploads`; for Socket Mode `socket_acks`
    and `wait_for_ack()`. `fail_next()` and `delay_next()` change how the next calls are answered.
    """

    def __init__(self) -> None:
        self.users: dict[str, dict[str, Any]] = {}
        self.channels: dict[str, dict[str, Any]] = {}
        self.tokens: set[str] = set()
        self.grants: dict[str, str] = {}  # OAuth code -> the team id oauth.v2.access installs
        self.installed: dict[str, str] = {}  # bot token handed out by oauth.v2.access -> team id
        # Token rotation: when set, installs hand out bot tokens expiring after this many
        # seconds with a refresh token (refresh token -> team id), as an app with rotation on.
        self.rotating_seconds: int | None = None
        self.refresh_tokens: dict[str, str] = {}
        self.uploads: dict[str, bytes] = {}  # file id -> the bytes posted to its upload URL
        self.handlers: dict[str, Handler] = {
            "auth.test": self._auth_test,
            "chat.postMessage": self._post_message,
            "chat.postEphemeral": self._post_ephemeral,
            "chat.update": self._update,
            "chat.getPermalink": self._get_permalink,
            "conversations.info": self._conversations_info,
            "conversations.history": self._conversations_history,
            "conversations.open": self._conversations_open,
            "oauth.v2.access": self._oauth_access,
            "views.open": self._view,
            "views.publish": self._view,
            "views.update": self._view,
            "views.push": self._view,
            "users.info": self._users_info,
            "users.list": self._users_list,
            "conversations.list": self._conversations_list,
            "files.getUploadURLExternal": self._get_upload_url,
            "files.completeUploadExternal": self._complete_upload,
            "apps.connections.open": self._connections_open,
        }
        # One re-entrant lock guards all the state below; waiting on it lets wait_for() wake up
        # as soon as a call is recorded.
        self._changed = threading.Condition()
        self._calls: list[Call] = []
        self._failures: dict[str, deque[_Failure]] = defaultdict(deque)
        self._delays: dict[str, deque[float]] = defaultdict(deque)  # method -> seconds, in turn
        self._drops: dict[str, int] = defaultdict(int)  # method -> calls left unanswered
        self._messages: dict[str, list[dict[str, Any]]] = defaultdict(list)  # oldest first
        self._sequences: dict[str, int] = defaultdict(int)
        self._filenames: dict[str, str] = {}  # file id -> name given to getUploadURLExternal
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        # Socket Mode: tickets handed out, open connections (newest last), what they sent back.
        self._tickets: set[str] = set()
        self._sockets: list[ServerConnection] = []
        self._sockets_opened = 0
        self._sent_at: dict[str, float] = {}  # envelope id -> time.monotonic() when sent
        self._acks: list[SocketAck] = []
        self._socket_server: WebSocketServer | None = None
        self._socket_thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> SlackEmulator:
        if self._server is not None:
            raise RuntimeError("the Slack emulator is already running")
        self._server = _Server(self)
        # A short poll interval keeps stop() fast: shutdown() waits for the next poll.
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="slack-emulator",
            daemon=True,
        )
        self._thread.start()
        self._socket_server = serve_websocket(
            self._serve_socket,
            "127.0.0.1",
            0,
            process_request=self._check_ticket,
            compression=None,  # Slack does not negotiate permessage-deflate either
            close_timeout=1,
            # Slack pings its Socket Mode clients too. Pinging often wakes slack_sdk's builtin
            # client, which blocks reading its socket for up to 3 s, so that it closes or moves
            # to a refreshed connection at once; a late pong is never held against it.
            ping_interval=0.2,
            ping_timeout=None,
        )
        self._socket_thread = threading.Thread(
            target=self._socket_server.serve_forever, name="slack-emulator-socket", daemon=True
        )
        self._socket_thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        if self._socket_server is not None:
            # Closes the open connections and waits for their handler threads.
            self._socket_server.shutdown()
        if self._socket_thread is not None:
            self._socket_thread.join()
        self._socket_server = self._socket_thread = None
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join()
        self._server = self._thread = None

    def __enter__(self) -> SlackEmulator:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def root_url(self) -> str:
        """e.g. "http://127.0.0.1:54321", without a trailing slash."""
        if self._server is None:
            raise RuntimeError("start the Slack emulator first")
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def base_url(self) -> str:
        """For WebClient(base_url=...): slack_sdk urljoins it with the method name, so the
        trailing slash matters ("…/api/" + "chat.postMessage")."""
        return f"{self.root_url}/api/"

    def response_url(self, key: str | None = None) -> str:
        """A response_url whose posts are recorded as "response_url" calls with this key
        (a fresh one when not given)."""
        return f"{self.root_url}/response/{key or self._next_id('R')}"

    @property
    def socket_url(self) -> str:
        """e.g. "ws://127.0.0.1:54322/link/": apps.connections.open adds a ticket to it."""
        if self._socket_server is None:
            raise RuntimeError("start the Slack emulator first")
        return f"ws://127.0.0.1:{self._socket_server.socket.getsockname()[1]}{SOCKET_PATH}"

    # -- test controls ---------------------------------------------------------------------

    def fail_next(
        self,
        method: str,
        *,
        status: int | None = None,
        retry_after: int = 1,
        times: int = 1,
        error: str | None = None,
    ) -> None:
        """Fail the next `times` calls of `method` (also "upload" or "response_url").

        By default with HTTP 429, a Retry-After header and error "ratelimited"; with `error`
        alone, HTTP 200 and {"ok": false, "error": error}, as Slack reports API errors;
        with another status (e.g. 500), that status and error "internal_error".
        """
        if status is None:
            status = 200 if error else 429
        if error is None:
            error = "ratelimited" if status == 429 else "internal_error"
        with self._changed:
            self._failures[method].extend([_Failure(status, error, retry_after)] * times)

    def delay_next(self, method: str, seconds: float, times: int = 1) -> None:
        """Answer the next `times` calls of `method` only after sleeping `seconds` each.

        The call is recorded and takes effect (a posted message is stored) before the sleep, so
        a client that dies while the answer is in flight has still posted, as on real Slack."""
        with self._changed:
            self._delays[method].extend([seconds] * times)

    def drop_next(self, method: str, times: int = 1) -> None:
        """Carry out the next `times` calls of `method` (a post is stored), then close the
        connection without answering: the client sees a dropped connection, not an error,
        and cannot tell whether its call took effect."""
        with self._changed:
            self._drops[method] += times

    def reset(self) -> None:
        """Forget the calls, posted messages, uploads, pending failures and delays and Socket
        Mode acknowledgements; keep users, channels, tokens, handlers and open Socket Mode
        connections."""
        with self._changed:
            self._calls.clear()
            self._failures.clear()
            self._delays.clear()
            self._drops.clear()
            self._messages.clear()
            self._filenames.clear()
            self.uploads.clear()
            self._acks.clear()
            self._sent_at.clear()

    @property
    def calls(self) -> list[Call]:
        """Every request so far, in order (a copy)."""
        with self._changed:
            return list(self._calls)

    def calls_to(self, method: str) -> list[Call]:
        with self._changed:
            return [call for call in self._calls if call.method == method]

    def messages_in(self, channel: str) -> list[dict[str, Any]]:
        """The messages chat.postMessage posted to `channel` (as given), oldest first (copies,
        with their metadata)."""
        with self._changed:
            return copy.deepcopy(self._messages.get(channel, []))

    def wait_for(self, method: str, count: int = 1, timeout: float = 5.0) -> list[Call]:
        """Wait until `count` calls of `method` were recorded (lazy listeners answer through
        response_url after the request that triggered them returned); return all of them."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while len(calls := self.calls_to(method)) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    seen = sorted({call.method for call in self._calls}) or ["nothing"]
                    raise AssertionError(
                        f"expected {count} {method} call(s) within {timeout}s, got {len(calls)};"
                        f" the emulator saw: {', '.join(seen)}"
                    )
                self._changed.wait(remaining)
            return calls

    # -- Socket Mode -----------------------------------------------------------------------

    def socket_send(
        self,
        envelope_type: str,
        payload: dict[str, Any],
        *,
        accepts_response_payload: bool | None = None,
        retry_attempt: int = 0,
        retry_reason: str = "",
        timeout: float = 5.0,
    ) -> str:
        """Push an envelope to the newest connected app, as Slack delivers over Socket Mode;
        return its envelope_id, which the app's acknowledgement must carry.

        `envelope_type` is "slash_commands", "events_api" or "interactive"; `payload` is what
        Slack would have POSTed in HTTP mode (for events, the whole event_callback). Slack lets
        slash commands, view submissions and block suggestions answer in the ack; events
        carry retry_attempt and retry_reason (0 and "" on the first delivery). Waits up to
        `timeout` for an app to connect.
        """
        if accepts_response_payload is None:
            accepts_response_payload = (
                envelope_type == "slash_commands" or payload.get("type") in _ANSWERED_IN_ACK
            )
        envelope_id = str(uuid4())
        envelope: dict[str, Any] = {
            "envelope_id": envelope_id,
            "payload": payload,
            "type": envelope_type,
            "accepts_response_payload": accepts_response_payload,
        }
        if envelope_type == "events_api":
            envelope |= {"retry_attempt": retry_attempt, "retry_reason": retry_reason}
        connection = self._newest_socket(timeout)
        with self._changed:
            self._sent_at[envelope_id] = time.monotonic()
        connection.send(json.dumps(envelope))
        return envelope_id

    def socket_disconnect(self, reason: str = "refresh_requested", timeout: float = 5.0) -> None:
        """Tell the newest connection to go away, as Slack does before it recycles one (reasons:
        "refresh_requested", "warning", "link_disabled"); the app should open a new one."""
        message = {"type": "disconnect", "reason": reason, "debug_info": {"host": _SOCKET_HOST}}
        self._newest_socket(timeout).send(json.dumps(message))

    def wait_for_socket(self, count: int = 1, timeout: float = 5.0) -> None:
        """Wait until `count` connections have been greeted since start and one is open."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while self._sockets_opened < count or not self._sockets:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(
                        f"expected {count} Socket Mode connection(s) within {timeout}s, got"
                        f" {self._sockets_opened} ({len(self._sockets)} open)"
                    )
                self._changed.wait(remaining)

    @property
    def socket_acks(self) -> list[SocketAck]:
        """Every acknowledgement received over Socket Mode, in order (a copy)."""
        with self._changed:
            return list(self._acks)

    def wait_for_ack(self, envelope_id: str, timeout: float = 5.0) -> SocketAck:
        """Wait for the app to acknowledge this envelope; return the acknowledgement."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while not (acks := [ack for ack in self._acks if ack.envelope_id == envelope_id]):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(
                        f"envelope {envelope_id} was not acknowledged within {timeout}s;"
                        f" {len(self._acks)} other acknowledgement(s) came,"
                        f" {len(self._sockets)} connection(s) open"
                    )
                self._changed.wait(remaining)
            return acks[0]

    def _newest_socket(self, timeout: float) -> ServerConnection:
        deadline = time.monotonic() + timeout
        with self._changed:
            while not self._sockets:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    opened = len(self.calls_to("apps.connections.open"))
                    raise AssertionError(
                        f"no app connected over Socket Mode within {timeout}s"
                        f" (apps.connections.open was called {opened} time(s))"
                    )
                self._changed.wait(remaining)
            return self._sockets[-1]

    def _check_ticket(self, connection: ServerConnection, request: Request) -> Response | None:
        """Refuse the WebSocket handshake unless it is for a URL apps.connections.open gave."""
        url = urlsplit(request.path)
        if url.path != SOCKET_PATH:
            return connection.respond(HTTPStatus.NOT_FOUND, "not_found\n")
        ticket = dict(parse_qsl(url.query)).get("ticket")
        with self._changed:
            known = ticket in self._tickets
        if not known:
            return connection.respond(HTTPStatus.UNAUTHORIZED, "invalid_ticket\n")
        return None

    def _serve_socket(self, connection: ServerConnection) -> None:
        """One app's connection (on its own thread): hello, then read acknowledgements until
        either side closes it."""
        with self._changed:
            already_open = len(self._sockets)
        try:
            connection.send(json.dumps(_hello(already_open + 1)))
        except ConnectionClosed:
            return
        # Registered only after hello went out, so no envelope can overtake it.
        with self._changed:
            self._sockets.append(connection)
            self._sockets_opened += 1
            self._changed.notify_all()
        try:
            for message in connection:
                self._record_ack(message)
        except ConnectionClosed:
            pass  # the app went away without a closing handshake, as the builtin client does
        finally:
            with self._changed:
                self._sockets.remove(connection)
                self._changed.notify_all()

    def _record_ack(self, message: str | bytes) -> None:
        try:
            ack = json.loads(message)
        except ValueError:
            return  # not an acknowledgement; Slack ignores it too
        if not isinstance(ack, dict) or not isinstance(ack.get("envelope_id"), str):
            return
        with self._changed:
            sent = self._sent_at.get(ack["envelope_id"])
            seconds = None if sent is None else time.monotonic() - sent
            self._acks.append(SocketAck(ack["envelope_id"], ack.get("payload"), seconds))
            self._changed.notify_all()

    # -- request handling (called from the server's threads) -------------------------------

    def _serve(self, path: str, query: str, headers: Message, body: bytes) -> _Reply:
        kind, _, name = path.lstrip("/").partition("/")
        header_dict = dict(headers.items())
        if kind == "api" and name:
            args = _parse_args(query, headers, body)
            arg_token = args.pop("token", None)
            call = Call(name, args, token=_bearer_token(headers) or arg_token, headers=header_dict)
            return self._answer(call, lambda: self._api_reply(call))
        if kind == "upload" and name:
            if headers.get_content_type() == "multipart/form-data":
                # The first file part, as a browser-style form upload would send it.
                parts = _parse_multipart(headers, body)
                body = next((v for v in parts.values() if isinstance(v, bytes)), b"")
            call = Call("upload", {"file_id": name, "size": len(body)}, headers=header_dict)
            return self._answer(call, lambda: self._store_upload(name, body))
        if kind == "response" and name:
            args = _parse_args(query, headers, body)
            call = Call("response_url", args, headers=header_dict, key=name)
            return self._answer(call, lambda: _Reply(200, "ok"))
        return _Reply(404, {"ok": False, "error": "not_found"})

    def _answer(self, call: Call, answer: Callable[[], _Reply]) -> _Reply:
        """Reply with a pending injected failure, else answer(); record the call either way,
        then sleep for a pending delay.

        Recording happens before the reply is sent, so a test sees the call as soon as the
        client returns (or while a delayed reply is still on its way)."""
        with self._changed:
            pending = self._failures.get(call.method)
            failure = pending.popleft() if pending else None
            delays = self._delays.get(call.method)
            delay = delays.popleft() if delays else 0.0
        reply = failure.reply() if failure else answer()
        call.status, call.response = reply.status, reply.body
        with self._changed:
            self._calls.append(call)
            self._changed.notify_all()
        if delay > 0:
            time.sleep(delay)  # outside the lock: other calls go on meanwhile
        with self._changed:
            if self._drops.get(call.method):
                self._drops[call.method] -= 1
                return _Reply(_DROP, "")
        return reply

    def _api_reply(self, call: Call) -> _Reply:
        # Slack answers API errors with HTTP 200 and "ok": false.
        handler = self.handlers.get(call.method)
        if handler is None:
            return _Reply(200, {"ok": False, "error": "unknown_method"})
        if self.tokens and call.token not in self.tokens and call.method not in NO_TOKEN_METHODS:
            return _Reply(200, {"ok": False, "error": "invalid_auth"})
        if (call.token or "").startswith("xapp-") and call.method not in APP_TOKEN_METHODS:
            return _Reply(200, {"ok": False, "error": "not_allowed_token_type"})
        return _Reply(200, handler(call))

    def _store_upload(self, file_id: str, data: bytes) -> _Reply:
        with self._changed:
            self.uploads[file_id] = data
        return _Reply(200, f"OK - {len(data)}")  # what files.slack.com answers

    def _next_id(self, prefix: str) -> str:
        with self._changed:
            self._sequences[prefix] += 1
            return f"{prefix}{self._sequences[prefix]:04d}"

    def _next_ts(self) -> str:
        with self._changed:
            self._sequences["ts"] += 1
            micros = self._sequences["ts"] * 100
        return f"{FIRST_TS + micros // 1_000_000}.{micros % 1_000_000:06d}"

    # -- Web API methods -------------------------------------------------------------------

    def _auth_test(self, call: Call) -> dict[str, Any]:
        team_id = self.installed.get(call.token or "", TEAM_ID)  # an OAuth-installed token's team
        return {
            "ok": True,
            "url": WORKSPACE_URL,
            "team": TEAM_NAME,
            "user": BOT_NAME,
            "team_id": team_id,
            "user_id": BOT_USER_ID,
            "bot_id": BOT_ID,
            "is_enterprise_install": False,
        }

    def _oauth_access(self, call: Call) -> dict[str, Any]:
        """oauth.v2.access: a code from `grants` (code -> team id) becomes a bot token for that
        workspace, accepted from then on (tokens) and known to auth.test (installed)."""
        if call.args.get("grant_type") == "refresh_token":
            return self._refresh(call)
        team_id = self.grants.pop(str(call.args.get("code")), None)
        if team_id is None:
            return {"ok": False, "error": "invalid_code"}
        token = f"xoxb-{team_id.lower()}-{self._next_id('')}"
        rotation: dict[str, Any] = {}
        if self.rotating_seconds is not None:
            token = f"xoxe.{token}"
            rotation = self._refreshable(team_id)
        return {**self._issue(team_id, token), **rotation, "authed_user": {"id": "U0INSTALLER"}}

    def _issue(self, team_id: str, token: str) -> dict[str, Any]:
        """oauth.v2.access's answer for a new bot token of `team_id`, now accepted."""
        with self._changed:
            self.installed[token] = team_id
            self.tokens.add(token)
        return {
            "ok": True,
            "access_token": token,
            "token_type": "bot",
            "scope": "commands,chat:write",
            "bot_user_id": BOT_USER_ID,
            "app_id": APP_ID,
            "team": {"id": team_id, "name": f"Workspace {team_id}"},
            "enterprise": None,
            "is_enterprise_install": False,
        }

    def _refreshable(self, team_id: str) -> dict[str, Any]:
        refresh = f"xoxe-1-{team_id.lower()}-{self._next_id('')}"
        with self._changed:
            self.refresh_tokens[refresh] = team_id
        return {"refresh_token": refresh, "expires_in": self.rotating_seconds}

    def _refresh(self, call: Call) -> dict[str, Any]:
        """oauth.v2.access with a refresh token: a new bot token and refresh token (the used
        refresh token is spent)."""
        with self._changed:
            team_id = self.refresh_tokens.pop(str(call.args.get("refresh_token")), None)
        if team_id is None:
            return {"ok": False, "error": "invalid_refresh_token"}
        token = f"xoxe.xoxb-{team_id.lower()}-{self._next_id('')}"
        return {**self._issue(team_id, token), **self._refreshable(team_id)}

    def _post_message(self, call: Call) -> dict[str, Any]:
        if error := _missing_message_args(call.args) or self._posting_error(call.args["channel"]):
            return error
        channel = call.args["channel"]
        ts = self._next_ts()
        message = _message(call.args, ts)
        with self._changed:
            self._messages[channel].append(copy.deepcopy(message))
        return {"ok": True, "channel": channel, "ts": ts, "message": message}

    def _posting_error(self, channel: str) -> dict[str, Any] | None:
        """Why Slack would refuse a post to this channel given `channels`, if it would."""
        if not channel.startswith(("C", "G")):
            return None  # a DM (D…) or a user id (U…/W…), or a name: always accepted
        with self._changed:
            if not self.channels:
                return None
            known = self.channels.get(channel)
        if known is None:
            return {"ok": False, "error": "channel_not_found"}
        if known.get("is_archived", False):
            return {"ok": False, "error": "is_archived"}
        if not known.get("is_member", True):
            return {"ok": False, "error": "not_in_channel"}
        return None

    def _post_ephemeral(self, call: Call) -> dict[str, Any]:
        if error := _missing_message_args(call.args):
            return error
        return {"ok": True, "message_ts": self._next_ts()}

    def _update(self, call: Call) -> dict[str, Any]:
        if error := _missing_message_args(call.args):
            return error
        ts = call.args.get("ts")
        if not ts:
            return {"ok": False, "error": "message_not_found"}
        return {
            "ok": True,
            "channel": call.args["channel"],
            "ts": ts,
            "text": call.args.get("text", ""),
            "message": _message(call.args, ts),
        }

    def _get_permalink(self, call: Call) -> dict[str, Any]:
        channel, ts = call.args.get("channel"), call.args.get("message_ts")
        if not channel:
            return {"ok": False, "error": "channel_not_found"}
        if not ts:
            return {"ok": False, "error": "message_not_found"}
        permalink = f"{WORKSPACE_URL}archives/{channel}/p{ts.replace('.', '')}"
        return {"ok": True, "channel": channel, "permalink": permalink}

    def _conversations_info(self, call: Call) -> dict[str, Any]:
        """A configured channel (extra fields in its `channels` entry override the defaults);
        with no channels configured, any id is a channel the bot is in."""
        channel_id = call.args.get("channel")
        if not channel_id:
            return {"ok": False, "error": "channel_not_found"}
        with self._changed:
            if self.channels and channel_id not in self.channels:
                return {"ok": False, "error": "channel_not_found"}
            known = dict(self.channels.get(channel_id, {}))
        channel = {
            "id": channel_id,
            "name": channel_id.lower(),
            "is_channel": True,
            "is_member": True,
            "is_archived": False,
            "is_private": False,
            **known,
        }
        return {"ok": True, "channel": channel}

    def _conversations_history(self, call: Call) -> dict[str, Any]:
        """The messages posted to a channel, newest first: `limit` (default 100) of those
        after `oldest` and before `latest` (bounds included with `inclusive`); metadata only
        with `include_all_metadata`."""
        args = call.args
        channel = args.get("channel")
        with self._changed:
            if not channel or (self.channels and channel not in self.channels):
                return {"ok": False, "error": "channel_not_found"}
            stored = copy.deepcopy(self._messages.get(channel, []))
        inclusive = _is_true(args.get("inclusive"))
        oldest, latest = args.get("oldest"), args.get("latest")

        def in_range(message: dict[str, Any]) -> bool:
            ts = Decimal(message["ts"])
            after = not oldest or ts > Decimal(oldest) or (inclusive and ts == Decimal(oldest))
            before = not latest or ts < Decimal(latest) or (inclusive and ts == Decimal(latest))
            return after and before

        matching = [message for message in reversed(stored) if in_range(message)]
        limit = int(args.get("limit") or 100)
        messages = matching[:limit]
        if not _is_true(args.get("include_all_metadata")):
            for message in messages:
                message.pop("metadata", None)
        return {"ok": True, "messages": messages, "has_more": len(matching) > limit}

    def _view(self, call: Call) -> dict[str, Any]:
        """views.open/publish/update/push: the submitted view, as Slack stores it."""
        if "view" not in call.args:
            return {"ok": False, "error": "invalid_arguments"}
        view_id = call.args.get("view_id") or self._next_id("V")
        view = {
            "id": view_id,
            "team_id": TEAM_ID,
            "app_id": APP_ID,
            "bot_id": BOT_ID,
            "callback_id": "",
            "external_id": "",
            "private_metadata": "",
            "state": {"values": {}},
            "hash": f"{int(time.time())}.{self._next_id('h')}",
            "root_view_id": view_id,
            "previous_view_id": None,
            "clear_on_close": False,
            "notify_on_close": False,
            **call.json("view"),
        }
        return {"ok": True, "view": view}

    def _users_info(self, call: Call) -> dict[str, Any]:
        user_id = call.args.get("user")
        if not user_id:
            return {"ok": False, "error": "user_not_found"}
        # A user of the workspace the token was installed in (OAuth), as on Slack.
        team_id = self.installed.get(call.token or "", TEAM_ID)
        return {"ok": True, "user": self._user(user_id, team_id)}

    def _users_list(self, call: Call) -> dict[str, Any]:
        """The configured users and Slackbot (as on Slack: an id of its own, not `is_bot`),
        a page of `limit` at a time with Slack's cursor."""
        with self._changed:
            ids = list(self.users)
        members = [self._user(user_id) for user_id in ids] + [
            {**self._user("USLACKBOT"), "name": "slackbot", "real_name": "Slackbot",
             "profile": {"real_name": "Slackbot", "display_name": "Slackbot"}}
        ]  # fmt: skip
        page, cursor = _page(members, call.args)
        return {
            "ok": True,
            "members": page,
            "cache_ts": int(time.time()),
            "response_metadata": {"next_cursor": cursor},
        }

    def _conversations_list(self, call: Call) -> dict[str, Any]:
        """The configured channels, as conversations.info shows them, a page at a time."""
        with self._changed:
            ids = list(self.channels)
        channels = [
            self._conversations_info(Call("conversations.info", {"channel": channel_id}))["channel"]
            for channel_id in ids
        ]
        if _is_true(call.args.get("exclude_archived")):
            channels = [c for c in channels if not c.get("is_archived")]
        page, cursor = _page(channels, call.args)
        return {"ok": True, "channels": page, "response_metadata": {"next_cursor": cursor}}

    def _user(self, user_id: str, team_id: str = TEAM_ID) -> dict[str, Any]:
        overrides = self.users.get(user_id, {})
        tz = overrides.get("tz", DEFAULT_TZ)
        offset = datetime.now(ZoneInfo(tz)).utcoffset()
        name = f"user-{user_id.lower()}"
        user = {
            "id": user_id,
            "team_id": team_id,
            "name": name,
            "real_name": name,
            "deleted": False,
            "is_bot": False,
            "tz": tz,
            "tz_offset": int(offset.total_seconds()) if offset else 0,  # seconds east of UTC
            "profile": {"real_name": name, "display_name": name},
            **overrides,
        }
        return user

    def _get_upload_url(self, call: Call) -> dict[str, Any]:
        filename, length = call.args.get("filename"), call.args.get("length")
        if not filename or not length:
            return {"ok": False, "error": "invalid_arguments"}
        file_id = self._next_id("F")
        with self._changed:
            self._filenames[file_id] = filename
        upload_url = f"{self.root_url}/upload/{file_id}"
        return {"ok": True, "upload_url": upload_url, "file_id": file_id}

    def _complete_upload(self, call: Call) -> dict[str, Any]:
        files = []
        for requested in call.json("files"):
            file_id = requested["id"]
            name = self._filenames.get(file_id, file_id)
            files.append(
                {
                    "id": file_id,
                    "name": name,
                    "title": requested.get("title") or name,
                    "mimetype": mimetypes.guess_type(name)[0] or "application/octet-stream",
                    "size": len(self.uploads.get(file_id, b"")),
                    "user": BOT_USER_ID,
                    "permalink": f"{WORKSPACE_URL}files/{BOT_USER_ID}/{file_id}/{name}",
                }
            )
        return {"ok": True, "files": files}

    def _conversations_open(self, call: Call) -> dict[str, Any]:
        """The direct-message channel with a user (arg `users`): D + the user id."""
        users = str(call.args.get("users") or "")
        if not users or "," in users:
            return {
                "ok": False,
                "error": "users_list_not_supplied" if not users else "not_supported",
            }
        return {"ok": True, "channel": {"id": f"D{users}", "is_im": True, "user": users}}

    def _connections_open(self, call: Call) -> dict[str, Any]:
        """A fresh WebSocket URL for Socket Mode; only an app-level token may ask for one."""
        if not call.token:
            return {"ok": False, "error": "not_authed"}
        if not call.token.startswith("xapp-"):
            return {"ok": False, "error": "not_allowed_token_type"}
        ticket = str(uuid4())
        with self._changed:
            self._tickets.add(ticket)
        return {"ok": True, "url": f"{self.socket_url}?ticket={ticket}"}


def _hello(num_connections: int) -> dict[str, Any]:
    """The first message on every Socket Mode connection."""
    return {
        "type": "hello",
        "num_connections": num_connections,
        "debug_info": {
            "host": _SOCKET_HOST,
            "build_number": 1,
            "approximate_connection_time": 18060,  # seconds until Slack would refresh it
        },
        "connection_info": {"app_id": APP_ID},
    }


def _message(args: dict[str, Any], ts: str) -> dict[str, Any]:
    """The message object chat.postMessage and chat.update answer with."""
    message = {
        "type": "message",
        "user": BOT_USER_ID,
        "bot_id": BOT_ID,
        "app_id": APP_ID,
        "team": TEAM_ID,
        "text": args.get("text", ""),
        "ts": ts,
    }
    for name in ("blocks", "attachments", "metadata"):
        if name in args:
            message[name] = _decoded(args[name])
    if "thread_ts" in args:
        message["thread_ts"] = args["thread_ts"]
    return message


def _missing_message_args(args: dict[str, Any]) -> dict[str, Any] | None:
    """The error Slack gives chat.* calls without a channel or without any content."""
    if not args.get("channel"):
        return {"ok": False, "error": "channel_not_found"}
    if not any(args.get(name) for name in ("text", "blocks", "attachments")):
        return {"ok": False, "error": "no_text"}
    return None


def _page(items: list[dict[str, Any]], args: dict[str, Any]) -> tuple[list[dict[str, Any]], str]:
    """`limit` items from Slack's opaque `cursor` on (here: the offset), and the next cursor
    ("" on the last page)."""
    start = int(args.get("cursor") or 0)
    limit = int(args.get("limit") or 100)
    end = start + limit
    return items[start:end], (str(end) if end < len(items) else "")


def _is_true(value: Any) -> bool:
    """A boolean argument: JSON true, or "true"/"1" in a form or query string."""
    return value is True or value == 1 or str(value).lower() in ("true", "1")


def _decoded(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str | bytes) else value


def _bearer_token(headers: Message) -> str | None:
    scheme, _, token = (headers.get("Authorization") or "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip() or None


def _parse_args(query: str, headers: Message, body: bytes) -> dict[str, Any]:
    """Query string plus a JSON, multipart or form-urlencoded body (one value per name)."""
    args: dict[str, Any] = dict(parse_qsl(query, keep_blank_values=True))
    content_type = headers.get_content_type()
    if content_type == "application/json":
        args.update(json.loads(body or b"{}"))
    elif content_type == "multipart/form-data":
        args.update(_parse_multipart(headers, body))
    elif body:
        args.update(parse_qsl(body.decode(), keep_blank_values=True))
    return args


def _parse_multipart(headers: Message, body: bytes) -> dict[str, str | bytes]:
    """Form fields of a multipart/form-data body: bytes for file parts, text for the others.

    Split by hand rather than with the email parser, which may alter binary payloads."""
    boundary = headers.get_param("boundary")
    if not isinstance(boundary, str):
        return {}
    fields: dict[str, str | bytes] = {}
    for part in body.split(b"--" + boundary.encode())[1:]:
        if part.startswith(b"--"):  # the closing delimiter
            break
        head, _, value = part.partition(b"\r\n\r\n")
        value = value.removesuffix(b"\r\n")  # the CRLF before a delimiter belongs to it
        disposition = Message()
        for line in head.decode().strip().splitlines():
            header, _, header_value = line.partition(":")
            disposition[header.strip()] = header_value.strip()
        name = disposition.get_param("name", header="content-disposition")
        if isinstance(name, str):
            is_file = disposition.get_param("filename", header="content-disposition") is not None
            fields[name] = value if is_file else value.decode()
    return fields


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, emulator: SlackEmulator) -> None:
        super().__init__(("127.0.0.1", 0), _RequestHandler)
        self.emulator = emulator


class _RequestHandler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:  # http.server dispatches on these names
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def log_message(self, format: str, *args: Any) -> None:
        """Silence the per-request lines http.server writes to stderr."""

    def _handle(self) -> None:
        url = urlsplit(self.path)
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            reply = self.server.emulator._serve(url.path, url.query, self.headers, body)
        except Exception as exc:  # an emulator bug: surface it to the client, not as a hang
            reply = _Reply(500, {"ok": False, "error": f"emulator_error: {exc!r}"})
        if reply.status == _DROP:  # drop_next(): hang up without an answer
            self.close_connection = True
            return
        if isinstance(reply.body, str):
            data, content_type = reply.body.encode(), "text/plain; charset=utf-8"
        else:
            data, content_type = json.dumps(reply.body).encode(), "application/json; charset=utf-8"
        self.send_response(reply.status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)
