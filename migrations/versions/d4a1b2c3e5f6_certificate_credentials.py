"""certificate credentials

Revision ID: d4a1b2c3e5f6
Revises: f6a1d3c5e7b9
Create Date: 2026-12-02 15:47:33.758616

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd4a1b2c3e5f6'
down_revision = 'f6a1d3c5e7b9'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('certificate_credentials',
    sa.Column('certificate_id', sa.Integer(), nullable=False),
    sa.Column('credential', sa.Text(), nullable=False),
    sa.Column('verification_method', sa.String(length=300), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['certificate_id'], ['certificates.id'], name=op.f('fk_certificate_credentials_certificate_id_certificates'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('certificate_id', name=op.f('pk_certificate_credentials'))
    )


def downgrade():
    op.drop_table('certificate_credentials')
