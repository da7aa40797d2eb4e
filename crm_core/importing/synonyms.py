"""The headers each import kind understands, field by field, first synonym the usual one.

The lists cover what common exports call the columns (HubSpot, Salesforce, Stripe, Shopify);
README.md's "CSV files" section names the usual ones.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ColumnSpec:
    """One field an import reads, the headers that may name it, and whether it must be there."""

    field: str
    synonyms: tuple[str, ...]
    required: bool = False


# How a purchase, interaction or NPS row names its customer: an id, or a name only one
# customer has. "id" comes last: in a file that also names the customer it is the row's own id.
CUSTOMER_REF = (
    "customer_id",
    "customer",
    "client",
    "client_id",
    "account_id",
    "customer_external_id",
    "customer_name",
    "client_name",
    "company",
    "company_name",
    "account",
    "account_name",
    "organisation",
    "organization",
    "organisation_name",
    "organization_name",
    "associated_company",
    "billing_name",
    "id",
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
    "created_utc",
    "created",
)
CUSTOMER_NAME = (
    "name",
    "customer_name",
    "company",
    "company_name",
    "client_name",
    "account_name",
    "account",
    "organisation",
    "organization",
    "organisation_name",
    "organization_name",
    "business_name",
    "full_name",
    "customer",
    "client",
)

SPECS: dict[str, tuple[ColumnSpec, ...]] = {
    "customers": (
        ColumnSpec(
            "external_id",
            (
                "customer_id",
                "client_id",
                "id",
                "external_id",
                "account_id",
                "record_id",
                "company_id",
                "customer_number",
                "account_number",
            ),
        ),
        ColumnSpec("name", CUSTOMER_NAME),
        # A person's name in two columns (Shopify, HubSpot contacts), used when there is no name.
        ColumnSpec("first_name", ("first_name", "firstname", "given_name")),
        ColumnSpec("last_name", ("last_name", "lastname", "surname", "family_name")),
        ColumnSpec("email", ("email", "e_mail", "email_address", "mail")),
        ColumnSpec(
            "owner_user_id",
            ("owner", "owner_id", "owner_user_id", "rep", "sales_rep", "account_owner"),
        ),
        ColumnSpec("segment", ("segment", "tier", "customer_segment")),
        ColumnSpec(
            "acquisition_channel",
            ("acquisition_channel", "channel", "source", "lead_source", "original_source"),
        ),
        ColumnSpec("acquisition_cost", ("acquisition_cost", "cac", "cost")),
    ),
    "purchases": (
        ColumnSpec("customer", CUSTOMER_REF, required=True),
        ColumnSpec(
            "date",
            DATE + ("paid_at", "close_date", "invoice_date", "transaction_date", "sale_date"),
            required=True,
        ),
        ColumnSpec(
            "amount",
            (
                "amount",
                "revenue",
                "value",
                "total",
                "price",
                "dollar_value",
                "sales",
                "total_amount",
                "amount_paid",
                "order_total",
                "grand_total",
                "total_price",
            ),
            required=True,
        ),
        ColumnSpec("currency", ("currency", "currency_code")),
        ColumnSpec(
            "external_id",
            (
                "order_id",
                "order",
                "transaction_id",
                "purchase_id",
                "external_id",
                "order_number",
                "id",
                "charge_id",
                "payment_id",
                "deal_id",
                "opportunity_id",
                "record_id",
                "invoice",
                "invoice_id",
                "invoice_number",
            ),
        ),
    ),
    "interactions": (
        ColumnSpec("customer", CUSTOMER_REF, required=True),
        ColumnSpec(
            "date",
            DATE + ("occurred_at", "when", "activity_date", "create_date", "created_date"),
            required=True,
        ),
        ColumnSpec(
            "kind",
            ("kind", "type", "activity", "activity_type", "interaction_type", "task_type"),
        ),
        ColumnSpec(
            "summary",
            (
                "summary",
                "notes",
                "note",
                "description",
                "text",
                "subject",
                "body",
                "comments",
                "comment",
                "call_notes",
                "details",
            ),
        ),
        ColumnSpec("author_user_id", ("author", "user", "user_id", "logged_by", "owner", "rep")),
        ColumnSpec(
            "follow_up_at",
            (
                "follow_up",
                "follow_up_at",
                "follow_up_date",
                "followup",
                "due",
                "due_date",
                "next_step_date",
                "reminder_date",
            ),
        ),
        ColumnSpec("follow_up_done", ("done", "follow_up_done", "completed")),
        ColumnSpec(
            "external_id",
            (
                "interaction_id",
                "activity_id",
                "external_id",
                "task_id",
                "engagement_id",
                "record_id",
                "id",
            ),
        ),
    ),
    "nps": (
        ColumnSpec("customer", CUSTOMER_REF, required=True),
        ColumnSpec(
            "score",
            ("score", "nps", "nps_score", "rating", "likelihood_to_recommend"),
            required=True,
        ),
        ColumnSpec(
            "date",
            DATE + ("responded_at", "response_date", "submitted_at", "response_timestamp"),
            required=True,
        ),
        ColumnSpec("comment", ("comment", "comments", "feedback", "verbatim", "reason")),
        ColumnSpec("external_id", ("response_id", "survey_response_id", "external_id", "id")),
    ),
}
KINDS = tuple(SPECS)
