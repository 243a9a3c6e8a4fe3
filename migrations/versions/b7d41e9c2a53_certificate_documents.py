"""certificate documents

Revision ID: b7d41e9c2a53
Revises: 3f32025812d0
Create Date: 2026-11-21 10:12:04.518330

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b7d41e9c2a53'
down_revision = '3f32025812d0'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('certificate_documents',
    sa.Column('certificate_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('verify_url', sa.Text(), nullable=False),
    sa.Column('layout', sa.String(length=16), nullable=False),
    sa.Column('pdf', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('valid', 'revoked', 'superseded')", name=op.f('ck_certificate_documents_status')),
    sa.ForeignKeyConstraint(['certificate_id'], ['certificates.id'], name=op.f('fk_certificate_documents_certificate_id_certificates'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('certificate_id', name=op.f('pk_certificate_documents'))
    )


def downgrade():
    op.drop_table('certificate_documents')
