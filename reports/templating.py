"""The jinja2 environment every report renders through, with the CRM's number and date filters."""

from __future__ import annotations

from datetime import datetime, tzinfo
from decimal import Decimal
from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, pass_context
from jinja2.runtime import Context

from reports.mrkdwn import mention


def money(value: Decimal | float | int | None, currency: str = "USD") -> str:
    """1234.5 -> "$1,234.50"; other currencies get their code: "EUR 1,234.50"."""
    if value is None:
        return "–"
    sign = "-" if value < 0 else ""
    amount = f"{abs(Decimal(value)):,.2f}"
    return f"{sign}${amount}" if currency == "USD" else f"{sign}{currency} {amount}"


def number(value: int | float | Decimal) -> str:
    """Thousands separated: 69659 -> "69,659"."""
    return f"{value:,}"


def plural(
    count: int | float | Decimal,
    singular: str,
    plural_form: str | None = None,
    *,
    show_count: bool = True,
) -> str:
    """1 -> "1 customer", 2317 -> "2,317 customers"; irregular forms (or a verb that must
    agree) given whole: plural(n, "customer has", "customers have")."""
    word = singular if abs(count) == 1 else (plural_form or f"{singular}s")
    return f"{number(count)} {word}" if show_count else word


def local_time(value: datetime | None, tz: tzinfo, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A stored UTC time as the viewer reads it."""
    return "–" if value is None else value.astimezone(tz).strftime(fmt)


def local_date(value: datetime | None, tz: tzinfo) -> str:
    return local_time(value, tz, "%Y-%m-%d")


# The filters both environments share; each adds its own `mention`.
_FILTERS = {
    "money": money,
    "number": number,
    "plural": plural,
    "local_time": local_time,
    "local_date": local_date,
}


@cache
def environment(autoescape: bool = False) -> Environment:
    """Templates under reports/templates; missing variables are errors, not blanks."""
    env = Environment(
        loader=PackageLoader("reports", "templates"),
        undefined=StrictUndefined,
        autoescape=autoescape,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    env.filters.update(_FILTERS)
    # In a terminal a Slack user is shown by name where the directory knows them, else by id
    # (Slack's own mention filter is reports.mrkdwn's).
    env.filters["mention"] = _named
    return env


@pass_context
def _named(context: Context, user_id: str | None, nobody: str = "nobody") -> str:
    if not user_id:
        return nobody
    return context.get("names", {}).get(user_id, user_id)


def render_text(template: str, **context: Any) -> str:
    """Render a terminal-text template."""
    return environment().get_template(template).render(**context).rstrip() + "\n"


@cache
def slack_environment() -> Environment:
    """Templates for Slack mrkdwn: every value escaped (& < >), our own mentions excepted."""
    env = Environment(
        loader=PackageLoader("reports", "templates"),
        undefined=StrictUndefined,
        autoescape=True,  # escapes & < > (and quotes, restored after rendering)
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(_FILTERS, mention=mention)
    return env
