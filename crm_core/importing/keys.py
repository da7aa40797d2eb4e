"""Stable keys for imported rows that carry no id of their own, so re-imports add nothing."""

from __future__ import annotations

import hashlib

import pandas as pd


def row_keys(prefix: str, parts: list[pd.Series]) -> pd.Series:
    """A key per row from its values; identical rows are told apart by their order in the file."""
    joined = parts[0].astype(str)
    for part in parts[1:]:
        joined = joined + "\x1f" + part.astype(str)
    occurrence = joined.groupby(joined, sort=False).cumcount().astype(str)
    joined = joined + "\x1f" + occurrence
    return pd.Series(
        [
            f"{prefix}:{hashlib.blake2b(text.encode(), digest_size=12).hexdigest()}"
            for text in joined
        ],
        index=joined.index,
    )


def first_duplicates(values: pd.Series) -> list[tuple[int, str, int]]:
    """(line, value, first line) for each non-empty value that already appeared above."""
    filled = values[values != ""]
    repeated = filled[filled.duplicated(keep="first")]
    if repeated.empty:
        return []
    first = filled[~filled.duplicated(keep="first")]
    first_line = {value: line for line, value in first.items()}
    return [(int(line), value, first_line[value]) for line, value in repeated.items()]
