"""scores per (frequency, recency, T) pattern and the tops of the rankings, not per customer

A refresh used to write a score row per customer (a million rows and two ranking indexes at
a million customers). A customer's scores are now their purchase aggregates joined to their
pattern's predictions, and only the top of each ranking is stored. The old rows are dropped;
the fits that produced them are marked stale (no watermark), so the next request refreshes.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-23
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'pattern_score',
        sa.Column('team_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column('periods', sa.Integer(), nullable=False),
        sa.Column('first_period', sa.Integer(), nullable=False),
        sa.Column('last_period', sa.Integer(), nullable=False),
        sa.Column('fit_id', sa.Integer(), nullable=False),
        sa.Column('frequency', sa.Integer(), nullable=False),
        sa.Column('recency', sa.Integer(), nullable=False),
        sa.Column('age', sa.Integer(), nullable=False),
        sa.Column('customers', sa.Integer(), nullable=False),
        sa.Column('expected_purchases', sa.Float(), nullable=False),
        sa.Column('p_alive', sa.Float(), nullable=True),
        sa.Column('clv_base', sa.Float(), nullable=False),
        sa.Column('clv_per_order_value', sa.Float(), nullable=False),
        sa.Column('clv_per_revenue', sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint('team_id', 'periods', 'first_period', 'last_period'),
        sqlite_with_rowid=False,
    )
    op.create_table(
        'score_rank',
        sa.Column('team_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column('ranking', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('customer_id', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('team_id', 'ranking', 'position'),
        sqlite_with_rowid=False,
    )
    op.drop_index('ix_customer_score_team_value_at_risk', table_name='customer_score')
    op.drop_index('ix_customer_score_team_clv', table_name='customer_score')
    op.drop_table('customer_score')
    op.execute('UPDATE analytics_fit SET watermark_purchase_id = NULL')


def downgrade() -> None:
    op.drop_table('score_rank')
    op.drop_table('pattern_score')
    op.create_table(
        'customer_score',
        sa.Column('team_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column('customer_id', sa.Integer(), nullable=False),
        sa.Column('fit_id', sa.Integer(), nullable=False),
        sa.Column('frequency', sa.Integer(), nullable=False),
        sa.Column('recency', sa.Float(), nullable=False),
        sa.Column('age', sa.Float(), nullable=False),
        sa.Column('monetary_value', sa.Float(), nullable=False),
        sa.Column('expected_purchases', sa.Float(), nullable=True),
        sa.Column('p_alive', sa.Float(), nullable=True),
        sa.Column('clv', sa.Float(), nullable=False),
        sa.Column('value_at_risk', sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint('team_id', 'customer_id'),
        sqlite_with_rowid=False,
    )
    op.create_index('ix_customer_score_team_clv', 'customer_score', ['team_id', 'clv'])
    op.create_index(
        'ix_customer_score_team_value_at_risk', 'customer_score', ['team_id', 'value_at_risk']
    )
    op.execute('UPDATE analytics_fit SET watermark_purchase_id = NULL')
