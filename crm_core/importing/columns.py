"""Which CSV header means which field, and which headers the import will not read.

A header no synonym names is reported back, never dropped without a word; one that looks
like a misspelling of a missing field stops the import.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field

from crm_core.importing.errors import ImportFailed
from crm_core.importing.synonyms import CUSTOMER_NAME, SPECS


@dataclass(frozen=True)
class ColumnMap:
    """The file's header for each field it has, and the headers the import will not read."""

    fields: dict[str, str]
    unread: list[str] = field(default_factory=list)


_NAMES = {"name", "first_name", "last_name"}
# How close an unread header must be to a synonym to be taken for a misspelling of it.
_MISSPELT = 0.8


def header_key(header: str) -> str:
    """A header as the synonym tables spell it: "Order Date" -> "order_date"."""
    return re.sub(r"[^a-z0-9]+", "_", header.strip().lower()).strip("_")


def map_columns(kind: str, headers: list[str]) -> ColumnMap:
    """Which header serves which field, and which headers are left unread.

    Each header serves one field; where several headers could, the earlier synonym wins.
    Raises ImportFailed naming missing required columns, and for an unread header that looks
    like a misspelling of a field the file lacks ("Ammount"), since importing without that
    field would misread every row.
    """
    by_key: dict[str, str] = {}
    for header in headers:
        by_key.setdefault(header_key(header), header)
    used: set[str] = set()
    mapping: dict[str, str] = {}
    for spec in SPECS[kind]:
        for synonym in spec.synonyms:
            header = by_key.get(synonym)
            if header is not None and header not in used:
                mapping[spec.field] = header
                used.add(header)
                break
    unread = [header for header in headers if header not in used and header_key(header)]
    missing = [spec for spec in SPECS[kind] if spec.required and spec.field not in mapping]
    if kind == "customers" and not (_NAMES | {"external_id"}) & set(mapping):
        missing.append(SPECS[kind][1])
    guesses = _misspellings(kind, unread, mapping)
    if missing:
        wanted = "; ".join(f"{spec.field} (one of: {', '.join(spec.synonyms)})" for spec in missing)
        raise ImportFailed(
            f"the file has no column for {wanted}. "
            f"Its header is: {', '.join(headers) or '(empty)'}{_renames(guesses)}"
        )
    if guesses:
        raise ImportFailed(
            "nothing was imported: a column looks like a misspelling of one the import "
            f"reads, and the file has no column of that name.{_renames(guesses)} "
            "If it is something else, rename it to anything the import does not read."
        )
    if kind == "customers" and unread and not _NAMES & set(mapping):
        raise ImportFailed(
            "the file has no column for the customers' names "
            f"(one of: {', '.join(CUSTOMER_NAME)}), so they would be named after their ids, "
            f"and nothing was imported. Columns the import does not read: {_listed(unread)}. "
            "Rename the one that holds the name to name (or company) and import again."
        )
    return ColumnMap(mapping, unread)


def _listed(headers: list[str]) -> str:
    return ", ".join(repr(header) for header in headers)


def _misspellings(kind: str, unread: list[str], mapping: dict[str, str]) -> dict[str, str]:
    """unread header -> the synonym it is probably a misspelling of, for fields not mapped."""
    wanted = [
        synonym
        for spec in SPECS[kind]
        if spec.field not in mapping
        for synonym in spec.synonyms
        if len(synonym) > 2
    ]
    guesses = {}
    for header in unread:
        close = difflib.get_close_matches(header_key(header), wanted, n=1, cutoff=_MISSPELT)
        if close:
            guesses[header] = close[0]
    return guesses


def _renames(guesses: dict[str, str]) -> str:
    return "".join(
        f"\n  column {header!r} is probably {meant!r}: rename it to {meant} and import again"
        for header, meant in guesses.items()
    )
