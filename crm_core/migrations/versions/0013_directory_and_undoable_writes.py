"""directory and undoable writes

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import crm_core.models.types

revision: str = '0013'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('directory_entry',
    sa.Column('team_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('slack_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('handle', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('updated_at', crm_core.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('team_id', 'kind', 'slack_id')
    )
    with op.batch_alter_table('directory_entry', schema=None) as batch_op:
        batch_op.create_index('ix_directory_entry_team_kind_handle', ['team_id', 'kind', 'handle'], unique=False)

    op.create_table('undoable_write',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('user_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('at', crm_core.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('action', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('row_kind', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('row_id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=True),
    sa.Column('before', sa.JSON(), nullable=True),
    sa.Column('undone_at', crm_core.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('undoable_write', schema=None) as batch_op:
        batch_op.create_index('ix_undoable_write_team_customer', ['team_id', 'customer_id'], unique=False)
        batch_op.create_index('ix_undoable_write_team_user_at', ['team_id', 'user_id', 'at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('undoable_write', schema=None) as batch_op:
        batch_op.drop_index('ix_undoable_write_team_user_at')
        batch_op.drop_index('ix_undoable_write_team_customer')

    op.drop_table('undoable_write')
    with op.batch_alter_table('directory_entry', schema=None) as batch_op:
        batch_op.drop_index('ix_directory_entry_team_kind_handle')

    op.drop_table('directory_entry')
