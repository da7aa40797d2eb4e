"""The most text a command may hold, checked where text comes in, before any pattern reads it.

Slack lets a message hold 40,000 characters; no command needs more than 4,000, and a
pattern given at most that much has a bounded line to read whatever its shape.
"""

from __future__ import annotations

from collections.abc import Callable

TEXT_LIMIT = 4_000


def too_long(text: str) -> str | None:
    """What to tell someone whose text is over the limit, or None when it is within it."""
    if len(text) <= TEXT_LIMIT:
        return None
    return (
        f"that is {len(text):,} characters; a command can be at most {TEXT_LIMIT:,}. "
        "Nothing was saved. Split it: log the first part, then the rest as another note "
        "(`note <customer>: ...`)"
    )


def within_limit(text: str, tidy: Callable[[str], str]) -> str:
    """`tidy(text)`, or the text untouched when it is over the limit: the dispatcher then
    refuses it, saying how long it was, and no pattern has read it."""
    return text if len(text) > TEXT_LIMIT else tidy(text)
