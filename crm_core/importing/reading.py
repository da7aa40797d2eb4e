"""Reading a CSV file into text columns, with clear errors for files that cannot be read."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd

from crm_core.importing.errors import ImportFailed


def read_csv(path: str | Path) -> pd.DataFrame:
    """Every cell as stripped text ("" when empty), indexed by file line (header = line 1).

    Raises ImportFailed for a missing, empty, non-UTF-8 or malformed file.
    """
    path = Path(path)
    if not path.is_file():
        raise ImportFailed(f"{path}: no such file")
    raw = path.read_bytes()
    if not raw.strip():
        raise ImportFailed(
            f"{path}: the file is empty; it needs a header row, e.g. customer_id,date,amount"
        )
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ImportFailed(
            f"{path}: line {line} is not UTF-8 (byte 0x{raw[exc.start]:02x}); "
            "save the file as UTF-8 (in Excel: CSV UTF-8) and import it again"
        ) from None
    del raw
    try:
        dialect = csv.Sniffer().sniff(text[:64_000], delimiters=",;\t|")
        separator = dialect.delimiter
    except csv.Error:
        separator = ","
    try:
        frame = pd.read_csv(
            io.StringIO(text),
            sep=separator,
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            skip_blank_lines=False,
            skipinitialspace=True,
        )
    except pd.errors.ParserError as exc:
        raise ImportFailed(f"{path}: not a well-formed CSV file: {exc}") from None
    except pd.errors.EmptyDataError:
        raise ImportFailed(
            f"{path}: the file has no header row; add one, e.g. customer_id,date,amount"
        ) from None
    frame.columns = [str(c).strip() for c in frame.columns]
    frame.index = pd.RangeIndex(2, len(frame) + 2)
    for column in frame.columns:
        frame[column] = frame[column].str.strip()
    blank = (frame == "").all(axis=1)
    return frame[~blank] if blank.any() else frame
