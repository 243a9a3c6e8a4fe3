"""folded search text on users; content publications

Revision ID: f6a1d3c5e7b9
Revises: g7c3e5a8b2d1
Create Date: 2026-12-02 16:00:00

"""
import unicodedata

from alembic import op
import sqlalchemy as sa


revision = 'f6a1d3c5e7b9'
down_revision = 'g7c3e5a8b2d1'
branch_labels = None
depends_on = None


def _fold(text: str) -> str:
    """course.core.folding.fold, copied so the migration keeps working whatever the app becomes."""
    decomposed = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", text).casefold())
    return "".join(character for character in decomposed if not unicodedata.combining(character))


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('search_text', sa.String(length=460), nullable=False, server_default=''))
    users = sa.table('users', sa.column('id', sa.Integer), sa.column('name', sa.String),
                     sa.column('email', sa.String), sa.column('search_text', sa.String))
    connection = op.get_bind()
    for user_id, name, email in connection.execute(sa.select(users.c.id, users.c.name, users.c.email)).all():
        connection.execute(users.update().where(users.c.id == user_id)
                           .values(search_text=f"{_fold(name or '')}\n{_fold(email or '')}"))

    op.create_table(
        'content_publications',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('published_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('published_by', sa.String(length=300), nullable=False),
        sa.Column('content_hash', sa.String(length=64), nullable=False),
        sa.Column('courses', sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_content_publications')),
    )
    with op.batch_alter_table('content_publications', schema=None) as batch_op:
        batch_op.create_index('ix_content_publications_published_at', ['published_at'], unique=False)


def downgrade():
    with op.batch_alter_table('content_publications', schema=None) as batch_op:
        batch_op.drop_index('ix_content_publications_published_at')
    op.drop_table('content_publications')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('search_text')
