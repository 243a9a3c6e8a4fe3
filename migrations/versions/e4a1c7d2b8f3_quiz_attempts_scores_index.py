"""best passed scores read from an index: (user, course) index extended to cover them

Revision ID: e4a1c7d2b8f3
Revises: b7d41e9c2a53
Create Date: 2026-11-21 12:40:00

"""
from alembic import op


revision = 'e4a1c7d2b8f3'
down_revision = 'b7d41e9c2a53'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_quiz_attempts_user_course_scores', 'quiz_attempts',
                    ['user_id', 'course_slug', 'objective_id', 'passed', 'score', 'total', 'status'], unique=False)
    op.drop_index('ix_quiz_attempts_user_course', table_name='quiz_attempts')


def downgrade():
    op.create_index('ix_quiz_attempts_user_course', 'quiz_attempts', ['user_id', 'course_slug'], unique=False)
    op.drop_index('ix_quiz_attempts_user_course_scores', table_name='quiz_attempts')
