"""retention alerts: subscriptions, deliveries (the claims), feedback, channel pacing

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-23
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import crm_core.models.types

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('alert_delivery',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('subscription_id', sa.Integer(), nullable=False),
    sa.Column('slot_at', crm_core.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('claimed_by', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('lease_until', crm_core.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('next_attempt_at', crm_core.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_error', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.Column('message_ts', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.Column('finished_at', crm_core.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('total_value_at_risk', sa.Float(), nullable=True),
    sa.Column('customer_ids', sa.JSON(), nullable=True),
    sa.Column('failure_reported', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('subscription_id', 'slot_at', name='uq_alert_delivery_slot')
    )
    with op.batch_alter_table('alert_delivery', schema=None) as batch_op:
        batch_op.create_index('ix_alert_delivery_status_next', ['status', 'next_attempt_at'], unique=False)
        batch_op.create_index('ix_alert_delivery_team_sub_slot', ['team_id', 'subscription_id', 'slot_at'], unique=False)

    op.create_table('alert_channel_pace',
    sa.Column('team_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('channel_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('next_post_at', crm_core.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('team_id', 'channel_id')
    )
    op.create_table('alert_feedback',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('until', crm_core.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('user_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('created_at', crm_core.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('alert_feedback', schema=None) as batch_op:
        batch_op.create_index('ix_alert_feedback_team_customer', ['team_id', 'customer_id'], unique=False)

    op.create_table('alert_subscription',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('channel_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('channel_name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('created_at', crm_core.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('cadence', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('weekday', sa.Integer(), nullable=True),
    sa.Column('local_time', sqlmodel.sql.sqltypes.AutoString(length=5), nullable=False),
    sa.Column('timezone', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('min_value_at_risk', sa.Float(), nullable=False),
    sa.Column('owner_user_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.Column('segment', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('quiet_when_unchanged', sa.Boolean(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('alert_subscription', schema=None) as batch_op:
        batch_op.create_index('ix_alert_subscription_team_active', ['team_id', 'active'], unique=False)



def downgrade() -> None:
    op.drop_table('alert_channel_pace')
    with op.batch_alter_table('alert_subscription', schema=None) as batch_op:
        batch_op.drop_index('ix_alert_subscription_team_active')

    op.drop_table('alert_subscription')
    with op.batch_alter_table('alert_feedback', schema=None) as batch_op:
        batch_op.drop_index('ix_alert_feedback_team_customer')

    op.drop_table('alert_feedback')
    with op.batch_alter_table('alert_delivery', schema=None) as batch_op:
        batch_op.drop_index('ix_alert_delivery_team_sub_slot')
        batch_op.drop_index('ix_alert_delivery_status_next')

    op.drop_table('alert_delivery')
