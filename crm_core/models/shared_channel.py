"""The channels shared with another organisation that an admin let customer data go to."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column
from sqlmodel import Field, SQLModel

from crm_core.models.types import UTCDateTime, utcnow


class SharedChannelAllowance(SQLModel, table=True):
    # An admin's explicit "yes" for one Slack Connect channel: digests may post there and
    # answers may be shared there. No row: the channel gets no customer data.
    __tablename__ = "shared_channel_allowance"

    team_id: str = Field(primary_key=True, max_length=32)
    channel_id: str = Field(primary_key=True, max_length=32)
    allowed_by: str = Field(max_length=32)
    allowed_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False, default=utcnow)
    )
