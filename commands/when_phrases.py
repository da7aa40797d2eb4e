"""Finding the when-phrases in a sentence: "log call with acme yesterday: pricing" holds a
customer, a moment in the past and a summary; "... call back next week" a follow-up.

The phrases found here are the ones `commands.when` reads: a phrase is taken only when it is
one of these shapes, so an ordinary word ("Monday Motors", "today we agreed") stays text.
"""

from __future__ import annotations

import re

_WEEKDAY = (
    r"(?:mon(?:day)?|tue(?:s(?:day)?)?|wed(?:s|nesday)?|thu(?:r(?:s(?:day)?)?)?|"
    r"fri(?:day)?|sat(?:urday)?|sun(?:day)?)"
)
_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_DATE = (
    rf"(?:{_MONTH}\.?\s+\d{{1,2}}(?:st|nd|rd|th)?(?:,?\s+\d{{4}})?|"
    rf"\d{{1,2}}(?:st|nd|rd|th)?\s+{_MONTH}(?:\s+\d{{4}})?|"
    r"\d{1,2}/\d{1,2}(?:/\d{2,4})?|\d{4}-\d{2}-\d{2})"
)
_NUMBER = r"(?:\d{1,3}|an?|one|two|three|four)"
_CLOCK = (
    r"(?:(?:at|@)\s*\d{1,2}(?::\d{2})?\s*(?:am|pm)?|\d{1,2}(?::\d{2})?\s*(?:am|pm)|\d{1,2}:\d{2})"
)
_AT_CLOCK = rf"(?:,?\s*{_CLOCK})?"

PAST = re.compile(
    rf"(?:yesterday|today|earlier today|this (?:morning|afternoon|evening)|tonight|last night|"
    rf"last week|(?:on |last )?{_WEEKDAY}|(?:on )?{_DATE}|"
    rf"{_NUMBER}\s+(?:minute|min|hour|hr|day|week)s?\s+ago){_AT_CLOCK}|{_CLOCK}",
    re.I,
)
FUTURE = re.compile(
    rf"(?:tomorrow|tmrw|today|tonight|next (?:week|month|{_WEEKDAY})|(?:this |on )?{_WEEKDAY}|"
    rf"(?:on )?{_DATE}|in\s+{_NUMBER}\s+(?:minute|hour|day|week|month)s?){_AT_CLOCK}",
    re.I,
)
# "call back next week", "check in on friday": what is left to do, and when. The summary
# keeps the words; the when becomes the follow-up.
_TO_DO = re.compile(
    r"(?:^|[\s,;.(])(?:call (?:(?:them|him|her|me) )?back|check in(?: again)?|circle back|"
    r"touch base|follow[\s-]?up|ping (?:them|him|her)|reach out(?: again)?|"
    r"speak again|talk again|meet again)"
    rf"\s+(?:(?:on|by)\s+)?(?P<when>{FUTURE.pattern})(?=$|[\s,;.)!])",
    re.I,
)
_PUNCTUATION = " ,;:-–—"
# Leading spaces are entered at the first one only (look-behind), so a run of them is read
# once wherever the pattern is tried.
_LEADING = re.compile(
    rf"(?<!\s)\s*({PAST.pattern})(?=$|\s*[,;:–—-]|\s+(?:with|w/|for|to|about)\b)", re.I
)
_LOOSE_LEADING = re.compile(rf"(?<!\s)\s*({PAST.pattern})(?=$|[\s,;:–—-])", re.I)
_TRAILING = re.compile(rf"(?:^|\s)({PAST.pattern})\s*$", re.I)
_TRAILING_FUTURE = re.compile(rf"(?:^|\s)({FUTURE.pattern})\s*$", re.I)
_LEADING_FUTURE = re.compile(rf"(?<!\s)\s*({FUTURE.pattern})(?=(?:\s*+,)?\s++to\s)", re.I)


def leading_past(text: str) -> tuple[str | None, str]:
    """("yesterday", "talked pricing") from "yesterday, talked pricing"; (None, text) else.

    The phrase must stand apart from what follows (a comma, a colon, a dash, or a word like
    `with`), so "today we agreed" stays a summary.
    """
    match = _LEADING.match(text)
    if not match:
        return None, text
    return match.group(1), text[match.end() :].lstrip(_PUNCTUATION)


def loose_leading_past(text: str) -> tuple[str | None, str]:
    """Like leading_past, but the phrase may run straight into the summary: after a name
    the rest is all summary ("acme yesterday talked pricing")."""
    match = _LOOSE_LEADING.match(text)
    if not match:
        return None, text
    return match.group(1), text[match.end() :].lstrip(_PUNCTUATION)


def trailing_past(text: str) -> tuple[str, str | None]:
    """("acme", "yesterday") from "acme yesterday"; (text, None) when it ends otherwise."""
    match = _TRAILING.search(text)
    if not match or not text[: match.start(1)].strip():
        return text, None
    return text[: match.start(1)].rstrip(_PUNCTUATION), match.group(1)


def trailing_future(text: str) -> str | None:
    """ "tomorrow" from "acme tomorrow": a moment still to come where a past one was meant."""
    match = _TRAILING_FUTURE.search(text)
    if not match or PAST.fullmatch(match.group(1)) or not text[: match.start(1)].strip():
        return None
    return match.group(1)


def split_trailing_future(text: str) -> tuple[str, str | None]:
    """("call acme", "friday") from "call acme friday"; (text, None) when no moment ahead
    ends it."""
    match = _TRAILING_FUTURE.search(text)
    if not match or not text[: match.start(1)].strip():
        return text, None
    return text[: match.start(1)].rstrip(_PUNCTUATION), match.group(1)


def leading_future(text: str) -> tuple[str | None, str]:
    """("friday", "to call acme") from "friday to call acme"; (None, text) otherwise."""
    match = _LEADING_FUTURE.match(text)
    if not match:
        return None, text
    return match.group(1), text[match.end() :].lstrip(_PUNCTUATION)


def follow_up_in(summary: str) -> str | None:
    """ "next week" from "call back next week"; None when the summary sets no follow-up."""
    match = _TO_DO.search(summary)
    return match["when"] if match else None
