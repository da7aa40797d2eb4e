"""What a failed import reports: the whole reason, and the first bad rows."""

from __future__ import annotations

from dataclasses import dataclass

from crm_core.errors import CrmError

ROWS_LISTED = 20


@dataclass(frozen=True, order=True)
class RowError:
    """One bad value: the file line it is on (the header is line 1), its column, and why."""

    line: int
    column: str
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}, column {self.column!r}: {self.reason}"


class ImportFailed(CrmError):
    """The file cannot be imported; nothing was written. `rows` lists the first bad rows."""

    def __init__(self, message: str, rows: list[RowError] | None = None, bad_rows: int = 0) -> None:
        self.rows = sorted(rows or [])[:ROWS_LISTED]
        self.bad_rows = bad_rows or len(self.rows)
        if self.rows:
            listed = "\n".join(f"  {row}" for row in self.rows)
            more = self.bad_rows - len(self.rows)
            tail = f"\n  … and {more:,} more bad rows" if more > 0 else ""
            message = f"{message}\n{listed}{tail}"
        super().__init__(message)
