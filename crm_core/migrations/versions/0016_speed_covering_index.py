"""a covering index for building the purchase aggregates

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-04

The index on (team_id, customer_id, purchased_at) becomes one that also holds the amounts,
so a rebuild of purchase_summary reads each customer's purchases in order from the index
alone. It has the old one's columns first, so it serves every query the old one did.
"""
from collections.abc import Sequence

from alembic import op

revision: str = '0016'
down_revision: str | None = '0015'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ['team_id', 'customer_id', 'purchased_at', 'amount', 'reporting_amount', 'currency']


def upgrade() -> None:
    with op.batch_alter_table('purchase', schema=None) as batch_op:
        batch_op.create_index('ix_purchase_team_customer_when_value', COLUMNS, unique=False)
        batch_op.drop_index('ix_purchase_team_customer_when')


def downgrade() -> None:
    with op.batch_alter_table('purchase', schema=None) as batch_op:
        batch_op.create_index(
            'ix_purchase_team_customer_when', ['team_id', 'customer_id', 'purchased_at'],
            unique=False,
        )
        batch_op.drop_index('ix_purchase_team_customer_when_value')
