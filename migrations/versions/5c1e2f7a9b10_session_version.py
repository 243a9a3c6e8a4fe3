"""per-user session version, raised to end every session of a user

Revision ID: 5c1e2f7a9b10
Revises: db72319ab737
Create Date: 2026-11-21 08:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '5c1e2f7a9b10'
down_revision = 'db72319ab737'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_version', sa.Integer(), nullable=False, server_default='1'))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('session_version')
