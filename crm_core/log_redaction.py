"""Secrets kept out of the logs: Slack tokens, webhook and response URLs, URL passwords and
the values of the secrets in the environment, redacted from every record at every level.

Libraries log more than their callers choose to: slack_sdk logs the whole oauth.v2.access
answer (`access_token: xoxb-…`) at DEBUG, Bolt the whole body of a badly signed request
(`response_url` included) at INFO. So the redaction works on the finished text of a record,
its arguments filled in, its traceback and stack included, rather than on what our own code
passes to the logger.
"""

from __future__ import annotations

import logging
import os
import re

REDACTED = "[redacted]"
# xoxb- bot, xoxp- user, xoxa-/xoxr- old app and refresh, xoxe- rotating and refresh tokens
# (xoxe.xoxb-1-… too), xapp- app-level tokens.
_TOKEN = re.compile(r"\b(?:xox[a-z](?:\.xox[a-z])?|xapp)-[A-Za-z0-9-]+")
# hooks.slack.com/services|commands|actions|workflows/…, also URL-encoded or JSON-escaped.
_SLASH = r"(?:/|%2F|\\/|%5C%2F)"
_HOOK = re.compile(rf"(hooks\.slack\.com){_SLASH}[^\s&\"'<>,)\]}}]+", re.IGNORECASE)
# The value of a field that is secret by its name, however its URL or token looks: in a form
# or query string (key=value, URL-encoded up to the next &), and quoted in JSON or a Python
# repr ("key": "value", 'key': 'value'), also inside a URL-encoded form field.
_NAMES = r"response_url|webhook_url|client_secret|access_token|refresh_token|bot_token|token"
_FORM_FIELD = re.compile(rf"\b({_NAMES})=(?!\[redacted\])[^&\s]+", re.IGNORECASE)
_QUOTE = r"(?:\"|'|%22|\\\")"
_QUOTED_FIELD = re.compile(
    rf"({_NAMES})({_QUOTE}\s*(?::|%3A)\s*{_QUOTE})(?!\[redacted\])[^\"'\s]{{1,2000}}?(?={_QUOTE})",
    re.IGNORECASE,
)
# The password of scheme://user:password@host, however malformed the rest of the URL is
# (bounded, so that a long line of "://a:" from a stranger costs linear time).
_URL_PASSWORD = re.compile(r"(://[^:/@\s]{0,128}:)\S{0,256}@")
# Environment variables whose values are secrets wherever they turn up.
SECRET_VARIABLES = (
    "SLACK_SIGNING_SECRET",
    "SLACK_CLIENT_SECRET",
    "SLACK_BOT_TOKEN",
    "SLACK_APP_TOKEN",
    "CRM_DATABASE_PASSWORD",
    "CRM_SECRET_KEYS",
)
_SHORTEST_SECRET = 6  # a shorter value would redact ordinary words


def secret_values() -> list[str]:
    """The secrets set in the environment now (each of CRM_SECRET_KEYS' keys on its own)."""
    values = []
    for name in SECRET_VARIABLES:
        for value in os.environ.get(name, "").split(","):
            if len(value.strip()) >= _SHORTEST_SECRET:
                values.append(value.strip())
    return sorted(values, key=len, reverse=True)


def masked_url(url: str) -> str:
    """The URL with its password shown as ***, for messages and logs (also one that does not
    parse: its user:password@ part is masked all the same)."""
    return _URL_PASSWORD.sub(r"\1***@", url)


def redact(text: str, secrets: list[str] | None = None) -> str:
    """`text` with every Slack token, webhook or response URL and secret value replaced."""
    for secret in secret_values() if secrets is None else secrets:
        text = text.replace(secret, REDACTED)
    text = masked_url(_TOKEN.sub(REDACTED, text))
    text = _HOOK.sub(rf"\1/{REDACTED}", text)
    text = _FORM_FIELD.sub(rf"\1={REDACTED}", text)
    return _QUOTED_FIELD.sub(rf"\1\2{REDACTED}", text)


class RedactSecrets(logging.Filter):
    """Rewrites a record's message (arguments filled in), traceback and stack, redacted."""

    _formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        redact_record(record)
        return True


def redact_record(record: logging.LogRecord) -> logging.LogRecord:
    """Redact one record in place (idempotent: a redacted record is left as it is)."""
    if getattr(record, "redacted", False):
        return record
    secrets = secret_values()
    try:
        message = record.getMessage()
    except Exception:  # a bad format string: logging reports it itself when formatting
        return record
    record.msg, record.args = redact(message, secrets), None
    if record.exc_info and not record.exc_text:
        record.exc_text = RedactSecrets._formatter.formatException(record.exc_info)
    if record.exc_text:
        record.exc_text = redact(record.exc_text, secrets)
    if record.stack_info:
        record.stack_info = redact(record.stack_info, secrets)
    record.redacted = True
    return record


def install_log_redaction() -> None:
    """Redact every record this process logs: each is redacted as it is made (so handlers
    added later, gunicorn's included, never see a secret), and the root logger's handlers
    filter what reaches them by other ways (records made with makeLogRecord)."""
    make_record = logging.getLogRecordFactory()
    if not getattr(make_record, "redacts", False):

        def redacting_factory(*args, **kwargs) -> logging.LogRecord:
            return redact_record(make_record(*args, **kwargs))

        redacting_factory.redacts = True
        logging.setLogRecordFactory(redacting_factory)
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, RedactSecrets) for f in handler.filters):
            handler.addFilter(RedactSecrets())
