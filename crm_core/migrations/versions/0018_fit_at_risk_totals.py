"""the at-risk customers' totals kept with the fit

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-04

`churn` and `clv` name what the at-risk customers hold (their CLV and their value at risk).
Adding those up over every customer's scores on each answer took 1-3 s at a million
customers; the refresh now stores them beside the totals over everyone.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("analytics_fit") as batch:
        batch.add_column(sa.Column("at_risk_clv", sa.Float(), nullable=True))
        batch.add_column(sa.Column("at_risk_value_at_risk", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("analytics_fit") as batch:
        batch.drop_column("at_risk_value_at_risk")
        batch.drop_column("at_risk_clv")
