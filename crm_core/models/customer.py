"""Customers, their contacts, and the record left when two customers are merged."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Column, Index, Numeric, UniqueConstraint
from sqlmodel import Field, SQLModel

from crm_core.models.types import UTCDateTime, utcnow


class CustomerBase(SQLModel):
    # Fields a user supplies when adding or importing a customer.
    name: str = Field(min_length=1, max_length=10_000)
    email: str | None = Field(default=None, max_length=320)
    owner_user_id: str | None = Field(default=None, max_length=32)
    segment: str | None = Field(default=None, max_length=100)
    external_id: str | None = Field(default=None, max_length=200)
    acquisition_channel: str | None = Field(default=None, max_length=100)
    acquisition_cost: Decimal | None = Field(default=None, sa_type=Numeric(14, 2))
    acquisition_currency: str | None = Field(default=None, max_length=3)


class Customer(CustomerBase, table=True):
    # A company or person the team sells to, in one workspace.
    __tablename__ = "customer"
    __table_args__ = (
        UniqueConstraint("team_id", "external_id", name="uq_customer_team_external_id"),
        Index("ix_customer_team_normalized_name", "team_id", "normalized_name"),
        Index("ix_customer_team_email", "team_id", "email"),
        Index("ix_customer_team_owner", "team_id", "owner_user_id"),
        Index("ix_customer_team_updated", "team_id", "updated_at"),
        # `cac` counts customers and sums costs per channel from this index alone.
        Index(
            "ix_customer_team_channel_cost", "team_id", "acquisition_channel", "acquisition_cost"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    normalized_name: str = Field(max_length=255)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False, default=utcnow)
    )
    # Bumped on every change, so caches of customer names know when to reload.
    updated_at: datetime = Field(
        default_factory=utcnow,
        sa_column=Column(UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow),
    )


class ContactBase(SQLModel):
    # A person at a customer, as a user types them in.
    name: str = Field(min_length=1, max_length=1_000)
    email: str | None = Field(default=None, max_length=320)
    phone: str | None = Field(default=None, max_length=64)
    role: str | None = Field(default=None, max_length=200)


class Contact(ContactBase, table=True):
    # A person at a customer.
    __tablename__ = "contact"
    __table_args__ = (Index("ix_contact_team_customer", "team_id", "customer_id"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    customer_id: int = Field(foreign_key="customer.id")
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False, default=utcnow)
    )


class CustomerMerge(SQLModel, table=True):
    # What was merged into what, by whom: the merged customer row itself is gone.
    __tablename__ = "customer_merge"
    __table_args__ = (Index("ix_customer_merge_team_external", "team_id", "merged_external_id"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    kept_customer_id: int = Field(foreign_key="customer.id")
    merged_customer_id: int
    merged_name: str
    merged_external_id: str | None = Field(default=None, max_length=200)
    merged_email: str | None = Field(default=None, max_length=320)
    merged_by: str | None = Field(default=None, max_length=32)
    moved_contacts: int = 0
    moved_interactions: int = 0
    moved_purchases: int = 0
    moved_nps_responses: int = 0
    merged_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False)
    )
