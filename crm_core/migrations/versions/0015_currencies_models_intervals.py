"""currencies, purchase models, intervals and refunds

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0015'
down_revision: str | None = '0014'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('exchange_rate',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('currency', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
    sa.Column('reporting_currency', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
    sa.Column('rate_date', sa.Date(), nullable=False),
    sa.Column('rate', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('team_id', 'currency', 'rate_date', name='uq_exchange_rate_day')
    )
    with op.batch_alter_table('exchange_rate', schema=None) as batch_op:
        batch_op.create_index('ix_exchange_rate_team_currency_day', ['team_id', 'currency', 'rate_date'], unique=False)

    with op.batch_alter_table('purchase', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reporting_amount', sa.Numeric(precision=14, scale=2), nullable=True))
        batch_op.add_column(sa.Column('reporting_currency', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=True))

    with op.batch_alter_table('purchase_summary', schema=None) as batch_op:
        batch_op.add_column(sa.Column('refunded_value', sa.Float(), nullable=False, server_default='0'))

    with op.batch_alter_table('analytics_fit', schema=None) as batch_op:
        batch_op.add_column(sa.Column('model', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True))
        batch_op.add_column(sa.Column('model_reason', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True))
        batch_op.add_column(sa.Column('model_params', sqlmodel.sql.sqltypes.AutoString(), nullable=True))
        batch_op.add_column(sa.Column('model_check', sqlmodel.sql.sqltypes.AutoString(), nullable=True))
        batch_op.add_column(sa.Column('as_of_requested', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('currency', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=True))
        batch_op.add_column(sa.Column('interval_level', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('total_clv_low', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('total_clv_high', sa.Float(), nullable=True))

    with op.batch_alter_table('pattern_score', schema=None) as batch_op:
        batch_op.add_column(sa.Column('p_no_purchase', sa.Float(), nullable=True))

    with op.batch_alter_table('score_rank', schema=None) as batch_op:
        batch_op.add_column(sa.Column('clv_low', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('clv_high', sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('score_rank', schema=None) as batch_op:
        batch_op.drop_column('clv_high')
        batch_op.drop_column('clv_low')

    with op.batch_alter_table('pattern_score', schema=None) as batch_op:
        batch_op.drop_column('p_no_purchase')

    with op.batch_alter_table('analytics_fit', schema=None) as batch_op:
        for name in ('total_clv_high', 'total_clv_low', 'interval_level', 'currency',
                     'as_of_requested', 'model_check', 'model_params', 'model_reason', 'model'):
            batch_op.drop_column(name)

    with op.batch_alter_table('purchase_summary', schema=None) as batch_op:
        batch_op.drop_column('refunded_value')

    with op.batch_alter_table('purchase', schema=None) as batch_op:
        batch_op.drop_column('reporting_currency')
        batch_op.drop_column('reporting_amount')

    with op.batch_alter_table('exchange_rate', schema=None) as batch_op:
        batch_op.drop_index('ix_exchange_rate_team_currency_day')

    op.drop_table('exchange_rate')
