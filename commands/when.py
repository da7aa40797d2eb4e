"""Reading the dates people type in chat: tomorrow, next tue, in 2 weeks, friday 3pm, Dec 3."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta

from dateutil import parser as dateparser
from dateutil.relativedelta import relativedelta

from crm_core.errors import InvalidInput

DEFAULT_TIME = time(9, 0)
# How far ahead "in N days|weeks|months" may reach.
NEWEST_YEARS = 10
EXAMPLES = "tomorrow, next tue, in 2 weeks, friday 3pm, 12/03 or Dec 3"
_WEEKDAYS = {
    "mon": 0,
    "monday": 0,
    "tue": 1,
    "tues": 1,
    "tuesday": 1,
    "wed": 2,
    "weds": 2,
    "wednesday": 2,
    "thu": 3,
    "thur": 3,
    "thurs": 3,
    "thursday": 3,
    "fri": 4,
    "friday": 4,
    "sat": 5,
    "saturday": 5,
    "sun": 6,
    "sunday": 6,
}
_UNITS = {"day": "days", "week": "weeks", "month": "months", "hour": "hours", "minute": "minutes"}
# A run of spaces is entered at its first space only (look-behind): read once, not per space.
_TIME = re.compile(
    r"(?:(?<!\s)\s*(?:at|@)\s*|(?<!\s)\s+|^)(?P<h>\d{1,2})(?::(?P<m>\d{2}))?\s*(?P<ampm>am|pm)?$"
)
_IN = re.compile(
    r"^in\s+(?P<n>\d+|an?|one|two|three|four)\s+(?P<unit>day|week|month|hour|minute)s?$"
)
_NUMBERS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4}
_YEAR = re.compile(r"\b\d{4}\b|\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}")


def parse_when(text: str, *, now: datetime, prefer_future: bool = True) -> datetime:
    """The moment `text` names, in `now`'s time zone (aware). A bare date means 9:00.

    With `prefer_future` a date without a year that has passed this year means next year
    (follow-ups); without it, the past is kept (purchases).
    """
    raw = " ".join(text.strip().lower().rstrip(".").split())
    if not raw:
        raise InvalidInput(f"say when, e.g. {EXAMPLES}")
    local_now = now
    today = local_now.replace(hour=0, minute=0, second=0, microsecond=0)
    relative = _IN.match(raw)
    if relative:
        return _ahead(text, relative, local_now, today)
    day_part, clock = _split_time(raw)
    day = _named_day(day_part, today)
    if day is not None:
        return _at(day, clock or DEFAULT_TIME)
    try:
        parsed = dateparser.parse(raw, default=_at(today, DEFAULT_TIME).replace(tzinfo=None))
    except (ValueError, OverflowError):
        raise InvalidInput(f"{text.strip()!r} is not a date I can read; try {EXAMPLES}") from None
    value = parsed.replace(tzinfo=local_now.tzinfo) if parsed.tzinfo is None else parsed
    if prefer_future and value < today and not _YEAR.search(raw):
        value = value + relativedelta(years=1)
    return value


def _ahead(text: str, relative: re.Match, now: datetime, today: datetime) -> datetime:
    """ "in 2 weeks": at most NEWEST_YEARS ahead, so a typo of many digits is answered, not a
    date past the calendar's end."""
    amount = _NUMBERS.get(relative["n"]) or int(relative["n"])
    delta = relativedelta(**{_UNITS[relative["unit"]]: amount})
    try:
        moment = now + delta if relative["unit"] in ("hour", "minute") else today + delta
    except (ValueError, OverflowError):
        moment = None
    if moment is None or moment > now + relativedelta(years=NEWEST_YEARS):
        raise InvalidInput(
            f"{text.strip()!r} is more than {NEWEST_YEARS} years ahead; try e.g. in 2 weeks"
        )
    return moment if relative["unit"] in ("hour", "minute") else _at(moment, DEFAULT_TIME)


# When a part of a day happened, for "this morning" and the like.
_PARTS_OF_DAY = {
    "this morning": (0, time(9, 0)),
    "this afternoon": (0, time(14, 0)),
    "this evening": (0, time(18, 0)),
    "tonight": (0, time(19, 0)),
    "last night": (1, time(20, 0)),
    "yesterday": (1, DEFAULT_TIME),
    "last week": (7, DEFAULT_TIME),
}
_AGO = re.compile(
    r"^(?P<n>\d+|an?|one|two|three|four)\s+(?P<unit>minute|min|hour|hr|day|week)s?\s+ago$"
)
_ABBREVIATED = {"min": "minute", "hr": "hour"}
# A moment logged as past may be this much ahead of the clock (a rep rounding up).
_SLACK = timedelta(minutes=10)
OLDEST_YEARS = 10


def parse_occurred(text: str, *, now: datetime) -> datetime:
    """When something that already happened happened, in `now`'s time zone (aware):
    yesterday, this morning, on monday (the last one before today), 2 days ago, Dec 3 (this
    year's, or last year's when that is still to come), at 3pm. Refuses the future."""
    raw = " ".join(text.strip().lower().rstrip(".").split())
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    day_part, clock = _split_time(raw)
    day_part = day_part.rstrip(",").strip()
    moment: datetime | None = None
    if ago := _AGO.match(raw):
        amount = _NUMBERS.get(ago["n"]) or int(ago["n"])
        unit = _ABBREVIATED.get(ago["unit"], ago["unit"])
        moment = now - relativedelta(**{_UNITS[unit]: amount})
        if unit in ("day", "week"):
            moment = _at(moment, clock or DEFAULT_TIME)
    elif day_part in _PARTS_OF_DAY:
        back, usual = _PARTS_OF_DAY[day_part]
        moment = _at(today - timedelta(days=back), clock or usual)
    elif day_part in ("", "today", "earlier today"):
        moment = _at(today, clock) if clock else now
    else:
        words = day_part.split()
        if words[:1] in (["on"], ["last"]):
            words = words[1:]
        if len(words) == 1 and words[0] in _WEEKDAYS:
            back = (today.weekday() - _WEEKDAYS[words[0]]) % 7 or 7
            moment = _at(today - timedelta(days=back), clock or DEFAULT_TIME)
        else:
            raw = raw.removeprefix("on ")
            moment = parse_when(raw, now=now, prefer_future=False)
            calendar_date = _named_day(day_part, today) is None and not _IN.match(raw)
            if calendar_date and moment > now + _SLACK and not _YEAR.search(raw):
                moment -= relativedelta(years=1)  # "Dec 3" in March: last December
    if moment > now + _SLACK:
        raise InvalidInput(
            f"{text.strip()!r} is still to come: log what happened once it has, or set a "
            f"follow-up instead (follow up {text.strip()})"
        )
    if moment < now - relativedelta(years=OLDEST_YEARS):
        raise InvalidInput(
            f"{text.strip()!r} is more than {OLDEST_YEARS} years ago; check the date "
            "(e.g. yesterday, on monday, Dec 3, 2 days ago)"
        )
    return moment


def _split_time(raw: str) -> tuple[str, time | None]:
    match = _TIME.search(raw)
    if not match or (not match["ampm"] and not match["m"] and " at " not in f" {raw}"):
        return raw, None
    hour, minute = int(match["h"]), int(match["m"] or 0)
    if match["ampm"] == "pm" and hour < 12:
        hour += 12
    if match["ampm"] == "am" and hour == 12:
        hour = 0
    if hour > 23 or minute > 59:
        raise InvalidInput(
            f"{match.group(0).strip()!r} is not a time of day; use e.g. 3pm or 15:30"
        )
    return raw[: match.start()].strip(), time(hour, minute)


def _named_day(text: str, today: datetime) -> datetime | None:
    words = text.replace(",", " ").split()
    if words[:1] in (["on"], ["this"], ["next"]):
        modifier, words = words[0], words[1:]
    else:
        modifier = ""
    if not words and modifier == "":
        return today  # only a time was given
    if len(words) != 1:
        return None
    word = words[0]
    if word in ("today", "tonight"):
        return today
    if word in ("tomorrow", "tmrw", "tmr"):
        return today + timedelta(days=1)
    if word == "yesterday":
        return today - timedelta(days=1)
    if word == "week" and modifier == "next":
        return today + timedelta(days=7 - today.weekday())
    if word == "month" and modifier == "next":
        return today + relativedelta(months=1)
    if word in _WEEKDAYS:
        ahead = (_WEEKDAYS[word] - today.weekday()) % 7 or 7
        return today + timedelta(days=ahead)
    return None


def _at(day: datetime, clock: time) -> datetime:
    # Rebuilt from the calendar date so a daylight-saving change in between is honoured.
    naive = datetime.combine(day.date(), clock)
    return naive.replace(tzinfo=day.tzinfo)
