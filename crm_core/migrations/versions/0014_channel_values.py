"""channel values and the channel cost index

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import crm_core.models.types

revision: str = '0014'
down_revision: str | None = '0013'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('channel_value',
    sa.Column('team_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('channel', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('fit_id', sa.Integer(), nullable=False),
    sa.Column('customers', sa.Integer(), nullable=False),
    sa.Column('clv', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('team_id', 'channel')
    )
    with op.batch_alter_table('customer', schema=None) as batch_op:
        batch_op.create_index('ix_customer_team_channel_cost', ['team_id', 'acquisition_channel', 'acquisition_cost'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('customer', schema=None) as batch_op:
        batch_op.drop_index('ix_customer_team_channel_cost')

    op.drop_table('channel_value')
