"""What an import did, for the CLI and chat to report."""

from __future__ import annotations

from dataclasses import dataclass, field

from crm_core.importing.amounts import DecimalMark


@dataclass
class ImportSummary:
    """Counts of one import. A second import of the same file adds and updates nothing.

    `unread_columns` are the headers the import does not know and did not read;
    `decimal_mark` says how the file's decimal mark was read; `named_after_ids` counts customers
    named after their id because the file has no name column.
    """

    kind: str
    rows: int
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    customers_created: list[str] = field(default_factory=list)
    unread_columns: list[str] = field(default_factory=list)
    decimal_mark: DecimalMark | None = None
    named_after_ids: int = 0
