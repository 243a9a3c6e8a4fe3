"""licence types; what certificates under state approvals print; no NABP e-Profile ID

licences.type: the kind of licence (RN, LPN/LVN, LCSW...), which decides the state approvals
a learner is offered; existing licences have none until the learner sets it in the profile.
certificates.credit_of (the approval whose credit it carries, so a transcript counts it once),
course_level, and the licence (state, type, number) a state approval's credit was claimed for.
users.nabp_eprofile_id goes: no course designates pharmacy (ACPE) credit.

Revision ID: a1d4c8e2f6b3
Revises: f7a1c3e5b9d2
Create Date: 2026-12-02 16:00:00.000000

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = 'a1d4c8e2f6b3'
down_revision = 'f7a1c3e5b9d2'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('licences', schema=None) as batch_op:
        batch_op.add_column(sa.Column('type', sa.String(length=10), nullable=True))
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.add_column(sa.Column('credit_of', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('course_level', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('licence_state', sa.String(length=2), nullable=True))
        batch_op.add_column(sa.Column('licence_type', sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column('licence_number', sa.String(length=40), nullable=True))
    # ALTER TABLE ... DROP COLUMN (SQLite 3.35+ and PostgreSQL), not a batch table copy: on SQLite with
    # foreign keys on, dropping the copied users table would cascade to every row that references it.
    op.drop_column('users', 'nabp_eprofile_id')


def downgrade():
    op.add_column('users', sa.Column('nabp_eprofile_id', sa.String(length=20), nullable=True))
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.drop_column('licence_number')
        batch_op.drop_column('licence_type')
        batch_op.drop_column('licence_state')
        batch_op.drop_column('course_level')
        batch_op.drop_column('credit_of')
    with op.batch_alter_table('licences', schema=None) as batch_op:
        batch_op.drop_column('type')
