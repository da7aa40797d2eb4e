"""customer_score keyed by (team_id, customer_id), without foreign keys or rowid

Scores are derived data that every refresh replaces whole. Without foreign keys SQLite can
empty the table with its truncate optimisation, and without a rowid each score is stored
once, in its primary key's B-tree. The rows are copied over.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = (
    "team_id, customer_id, fit_id, frequency, recency, age, monetary_value, "
    "expected_purchases, p_alive, clv, value_at_risk"
)


def _create(name: str) -> None:
    op.create_table(
        name,
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


def upgrade() -> None:
    _create('customer_score_new')
    op.execute(f"INSERT INTO customer_score_new ({COLUMNS}) SELECT {COLUMNS} FROM customer_score")
    op.drop_index('ix_customer_score_team_value_at_risk', table_name='customer_score')
    op.drop_index('ix_customer_score_team_clv', table_name='customer_score')
    op.drop_table('customer_score')
    op.rename_table('customer_score_new', 'customer_score')
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('ALTER TABLE customer_score RENAME CONSTRAINT customer_score_new_pkey TO customer_score_pkey')
    op.create_index('ix_customer_score_team_clv', 'customer_score', ['team_id', 'clv'])
    op.create_index(
        'ix_customer_score_team_value_at_risk', 'customer_score', ['team_id', 'value_at_risk']
    )


def downgrade() -> None:
    # Scores are derived: the next refresh writes them again.
    op.drop_index('ix_customer_score_team_value_at_risk', table_name='customer_score')
    op.drop_index('ix_customer_score_team_clv', table_name='customer_score')
    op.drop_table('customer_score')
    op.create_table(
        'customer_score',
        sa.Column('id', sa.Integer(), nullable=False),
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
        sa.ForeignKeyConstraint(['customer_id'], ['customer.id']),
        sa.ForeignKeyConstraint(['fit_id'], ['analytics_fit.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('team_id', 'customer_id', name='uq_customer_score_team_customer'),
    )
    op.create_index('ix_customer_score_team_clv', 'customer_score', ['team_id', 'clv'])
    op.create_index(
        'ix_customer_score_team_value_at_risk', 'customer_score', ['team_id', 'value_at_risk']
    )
