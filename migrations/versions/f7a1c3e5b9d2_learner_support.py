"""learner support: quiz allowances, completions recorded by hand, deactivated and deleted accounts

quiz_allowances holds an administrator's extra attempts and resets per learner and objective;
course_completions.recorded_reason says why a completion was recorded by hand;
users.deactivated_at and users.deleted_at mark accounts that can no longer sign in.

Revision ID: f7a1c3e5b9d2
Revises: e5b2c4d6f8a1
Create Date: 2026-12-02 15:55:41.523792

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = 'f7a1c3e5b9d2'
down_revision = 'e5b2c4d6f8a1'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('quiz_allowances',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('course_slug', sa.String(length=100), nullable=False),
    sa.Column('objective_id', sa.String(length=100), nullable=False),
    sa.Column('extra_attempts', sa.Integer(), server_default='0', nullable=False),
    sa.Column('counted_after', sa.Integer(), server_default='0', nullable=False),
    sa.CheckConstraint('extra_attempts >= 0', name=op.f('ck_quiz_allowances_extra_attempts')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_quiz_allowances_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quiz_allowances')),
    sa.UniqueConstraint('user_id', 'course_slug', 'objective_id', name='uq_quiz_allowances_user_course_objective')
    )
    with op.batch_alter_table('course_completions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('recorded_reason', sa.Text(), nullable=True))

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('deactivated_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True))



def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('deleted_at')
        batch_op.drop_column('deactivated_at')

    with op.batch_alter_table('course_completions', schema=None) as batch_op:
        batch_op.drop_column('recorded_reason')

    op.drop_table('quiz_allowances')
