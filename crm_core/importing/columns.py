"""Which CSV header means which field: the synonyms each import kind understands."""

from __future__ import annotations

import re
from dataclasses import dataclass

from crm_core.importing.errors import ImportFailed


@dataclass(frozen=True)
class ColumnSpec:
    """One field an import reads, the headers that may name it, and whether it must be there."""

    field: str
    synonyms: tuple[str, ...]
    required: bool = False


CUSTOMER_REF = (
    "customer_id",
    "customer",
    "client",
    "id",
    "client_id",
    "account_id",
    "customer_external_id",
)
DATE = (
    "date",
    "order_date",
    "timestamp",
    "purchased_at",
    "purchase_date",
    "datetime",
    "time",
    "created_at",
)

SPECS: dict[str, tuple[ColumnSpec, ...]] = {
    "customers": (
        ColumnSpec("external_id", ("customer_id", "client_id", "id", "external_id", "account_id")),
        ColumnSpec(
            "name",
            (
                "name",
                "customer_name",
                "company",
                "client_name",
                "account_name",
                "customer",
                "client",
            ),
        ),
        ColumnSpec("email", ("email", "e_mail", "email_address", "mail")),
        ColumnSpec(
            "owner_user_id",
            ("owner", "owner_id", "owner_user_id", "rep", "sales_rep", "account_owner"),
        ),
        ColumnSpec("segment", ("segment", "tier")),
        ColumnSpec("acquisition_channel", ("acquisition_channel", "channel", "source")),
        ColumnSpec("acquisition_cost", ("acquisition_cost", "cac", "cost")),
    ),
    "purchases": (
        ColumnSpec("customer", CUSTOMER_REF, required=True),
        ColumnSpec("date", DATE, required=True),
        ColumnSpec(
            "amount",
            ("amount", "revenue", "value", "total", "price", "dollar_value", "sales"),
            required=True,
        ),
        ColumnSpec("currency", ("currency", "currency_code")),
        ColumnSpec(
            "external_id",
            (
                "order_id",
                "order",
                "invoice",
                "invoice_id",
                "transaction_id",
                "purchase_id",
                "external_id",
            ),
        ),
    ),
    "interactions": (
        ColumnSpec("customer", CUSTOMER_REF, required=True),
        ColumnSpec("date", DATE + ("occurred_at", "when"), required=True),
        ColumnSpec("kind", ("kind", "type", "activity", "activity_type", "interaction_type")),
        ColumnSpec(
            "summary", ("summary", "notes", "note", "description", "text", "subject", "body")
        ),
        ColumnSpec("author_user_id", ("author", "user", "user_id", "logged_by", "owner", "rep")),
        ColumnSpec(
            "follow_up_at",
            ("follow_up", "follow_up_at", "follow_up_date", "followup", "due", "due_date"),
        ),
        ColumnSpec("follow_up_done", ("done", "follow_up_done", "completed")),
        ColumnSpec("external_id", ("interaction_id", "activity_id", "external_id")),
    ),
    "nps": (
        ColumnSpec("customer", CUSTOMER_REF, required=True),
        ColumnSpec(
            "score",
            ("score", "nps", "nps_score", "rating", "likelihood_to_recommend"),
            required=True,
        ),
        ColumnSpec("date", DATE + ("responded_at", "response_date", "submitted_at"), required=True),
        ColumnSpec("comment", ("comment", "comments", "feedback", "verbatim", "reason")),
        ColumnSpec("external_id", ("response_id", "survey_response_id", "external_id")),
    ),
}
KINDS = tuple(SPECS)


def header_key(header: str) -> str:
    """A header as the synonym tables spell it: "Order Date" -> "order_date"."""
    return re.sub(r"[^a-z0-9]+", "_", header.strip().lower()).strip("_")


def map_columns(kind: str, headers: list[str]) -> dict[str, str]:
    """field -> the file's header for it. Raises ImportFailed naming missing required columns.

    Each header serves one field; where several headers could, the earlier synonym wins.
    """
    by_key = {}
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
    missing = [spec for spec in SPECS[kind] if spec.required and spec.field not in mapping]
    if kind == "customers" and "name" not in mapping and "external_id" not in mapping:
        missing.append(SPECS[kind][1])
    if missing:
        wanted = "; ".join(f"{spec.field} (one of: {', '.join(spec.synonyms)})" for spec in missing)
        raise ImportFailed(
            f"the file has no column for {wanted}. Its header is: {', '.join(headers) or '(empty)'}"
        )
    return mapping
