"""The grammar of `alerts ...`: subscribe, list, unsubscribe, preview, test."""

from __future__ import annotations

import re

from commands.verbs import (
    ListAlerts,
    PostAlertNow,
    PreviewAlerts,
    SubscribeAlerts,
    UnsubscribeAlerts,
)
from crm_core.alerts.schedule import WEEKDAYS, parse_time

# Slack turns a #channel picked from its list into <#C0123|name>; an id or #name typed by
# hand is resolved by the handler (through the directory).
_CHANNEL = re.compile(r"^<#[CG][A-Z0-9]+(?:\|[^>]*)?>$|^#\S+$|^[CG][A-Z0-9]{6,}$")
_ID = re.compile(r"^#?(\d{1,18})$")  # what a database integer holds
_AMOUNT = re.compile(r"^[$€£]?(\d+(?:[.,]\d+)*)\s*([km])?$", re.I)
_DAY_NAMES = {
    **{day: i for i, day in enumerate(WEEKDAYS)},
    **{
        name: i
        for i, name in enumerate(
            ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
        )
    },
}
# As purchases: amounts stay under a trillion.
MOST_MIN_VALUE = 1_000_000_000_000
_KEYWORDS = ("daily", "weekdays", "weekly", "every", "at", "min", "owner", "segment", "quiet")


class AlertsParseError(ValueError):
    def __init__(self, verb: str, problem: str) -> None:
        self.verb = verb
        self.problem = problem
        super().__init__(problem)


def parse_alerts(rest: str) -> object:
    """`rest` is what follows "alerts"."""
    action, _, body = rest.strip().partition(" ")
    action = action.lower()
    if action in ("", "list", "ls"):
        return ListAlerts()
    if action in ("subscribe", "sub", "add"):
        return _subscribe(body.split())
    if action in ("unsubscribe", "unsub", "remove", "delete", "stop"):
        return UnsubscribeAlerts(_subscription_id(body, "alerts unsubscribe", required=True))
    if action == "preview":
        return PreviewAlerts(_subscription_id(body, "alerts preview"))
    if action == "test":
        return PostAlertNow(_subscription_id(body, "alerts test"))
    raise AlertsParseError(
        "alerts subscribe",
        f"{action!r} is not something alerts does: use alerts subscribe, alerts list, "
        "alerts unsubscribe <id>, alerts preview or alerts test",
    )


def _subscription_id(body: str, verb: str, *, required: bool = False) -> int | None:
    body = body.strip()
    if not body and not required:
        return None
    match = _ID.match(body)
    if not match:
        raise AlertsParseError(
            verb, f"{body or 'nothing'!r} is not a subscription number; `alerts list` shows them"
        )
    return int(match[1])


def _subscribe(words: list[str]) -> SubscribeAlerts:
    verb = "alerts subscribe"
    fields: dict = {}
    i = 0

    def take(what: str) -> str:
        nonlocal i
        i += 1
        if i >= len(words):
            raise AlertsParseError(verb, f"{words[i - 1]!r} needs {what} after it")
        return words[i]

    while i < len(words):
        word, low = words[i], words[i].lower()
        if _CHANNEL.match(word):
            fields["channel"] = word
        elif low in ("daily", "weekdays"):
            fields["cadence"] = low
        elif low in ("weekly", "every"):
            fields["cadence"] = "weekly"
            day = take("a day, e.g. weekly mon").lower()
            if day not in _DAY_NAMES:
                raise AlertsParseError(verb, f"{day!r} is not a day of the week; use mon ... sun")
            fields["weekday"] = _DAY_NAMES[day]
        elif low == "at":
            text = take("a time, e.g. at 9:00")
            if i + 1 < len(words) and words[i + 1].lower() in ("am", "pm"):
                i += 1
                text += words[i]
            try:
                fields["time"] = parse_time(text)
            except ValueError as exc:
                raise AlertsParseError(verb, str(exc)) from None
        elif low == "min":
            text = take("an amount, e.g. min value 500")
            if text.lower() == "value":
                text = take("an amount, e.g. min value 500")
            fields["min_value"] = _amount(text)
        elif low == "owner":
            fields["owner"] = take("a person, e.g. owner @jane or owner me")
        elif low == "segment":
            parts = []
            while i + 1 < len(words) and not _starts_option(words, i + 1):
                i += 1
                parts.append(words[i])
            if not parts:
                raise AlertsParseError(verb, "segment needs a name, e.g. segment Enterprise")
            fields["segment"] = " ".join(parts)
        elif low in ("quiet", "silent"):
            fields["quiet"] = True
        elif low in _DAY_NAMES:
            fields["cadence"], fields["weekday"] = "weekly", _DAY_NAMES[low]
        else:
            raise AlertsParseError(
                verb,
                f"{word!r} is not something alerts subscribe understands. It takes: a #channel, "
                "daily | weekdays | weekly mon, at 9:00, min value 500, owner @user, "
                "segment <name>, quiet",
            )
        i += 1
    return SubscribeAlerts(**fields)


def _starts_option(words: list[str], i: int) -> bool:
    """Whether words[i] begins another option (so "segment At risk" keeps its "At")."""
    low = words[i].lower()
    if low == "at":
        try:
            parse_time(words[i + 1] if i + 1 < len(words) else "")
        except ValueError:
            return False
        return True
    return low in _KEYWORDS or _CHANNEL.match(words[i]) is not None


def _amount(text: str) -> float:
    match = _AMOUNT.match(text.strip())
    if not match:
        raise AlertsParseError(
            "alerts subscribe",
            f"{text!r} is not an amount; write the minimum value at risk as a number, "
            "e.g. min value 500 or min value 2.5k",
        )
    number = float(match[1].replace(",", ""))
    value = number * {"k": 1_000, "m": 1_000_000}.get((match[2] or "").lower(), 1)
    if value >= MOST_MIN_VALUE:  # many digits would read as infinity
        raise AlertsParseError(
            "alerts subscribe",
            f"{text!r} is more than any customer is worth; the minimum value at risk stays "
            f"under {MOST_MIN_VALUE:,.0f}, e.g. min value 500",
        )
    return value
