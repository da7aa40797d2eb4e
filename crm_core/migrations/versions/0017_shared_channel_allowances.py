"""shared channel allowances

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-04

The channels shared with another organisation (Slack Connect) that an admin allowed
customer data into: alert digests and shared answers go only to those.
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import crm_core.models.types

revision: str = '0017'
down_revision: str | None = '0016'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('shared_channel_allowance',
    sa.Column('team_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('channel_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('allowed_by', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('allowed_at', crm_core.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('team_id', 'channel_id')
    )


def downgrade() -> None:
    op.drop_table('shared_channel_allowance')
