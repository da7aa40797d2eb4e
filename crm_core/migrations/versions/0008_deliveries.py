"""deliveries already handled (Slack event ids), for de-duplicating retries

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import crm_core.models.types

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'delivery',
        sa.Column('team_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column('received_at', crm_core.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('team_id', 'key'),
    )
    op.create_index('ix_delivery_received_at', 'delivery', ['received_at'])


def downgrade() -> None:
    op.drop_index('ix_delivery_received_at', table_name='delivery')
    op.drop_table('delivery')
