"""The one place user text is made safe for Slack's mrkdwn.

Slack reads `<...>` as links and mentions (`<!channel>` pings everyone) and `&` as the start
of an entity, so those three characters of anything a user typed are escaped. Our own
mentions of record owners are built by `mention`, from validated user ids only.
"""

from __future__ import annotations

import re

from markupsafe import Markup

_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,31}$")
# An escape or a mention cut in half by truncation is removed rather than shown broken.
_CUT_ENTITY = re.compile(r"&[a-z#0-9]{0,6}$|<[^>\s]{0,40}$")


def escape(text: object) -> str:
    """Text shown verbatim in Slack: `&`, `<` and `>` as entities, nothing else touched."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def mention(user_id: str | None) -> Markup:
    """`<@U123>` for a real user id (Slack shows the name); anything else, escaped."""
    if user_id and _USER_ID.match(user_id):
        return Markup(f"<@{user_id}>")
    return Markup(escape(user_id or "nobody"))


def truncate(text: str, limit: int) -> str:
    """At most `limit` characters, ending in "…" when cut, never mid-entity or mid-mention."""
    if len(text) <= limit:
        return text
    cut = _CUT_ENTITY.sub("", text[: limit - 1])
    return cut + "…"
