"""certificate PDFs drawn at issue and kept per certificate; each submitted attempt's grading stored with it

A certificate's PDF is now drawn when it is issued, and again when it is revoked or
superseded, and kept in certificate_pdfs (one row per certificate). The PDFs the old
certificate_documents table kept move there when they print the certificate's status and its
verify URL on the configured site; every other certificate's PDF is drawn here, by the code
the app draws with.

quiz_attempts.graded holds, for a submitted attempt, question id -> answered right, as the
app's grading judges it (exactly the set of correct options chosen).

Revision ID: c5f0a2d9e7b4
Revises: e4a1c7d2b8f3
Create Date: 2026-12-02 09:30:00

"""
from types import SimpleNamespace

import sqlalchemy as sa
from alembic import op
from flask import url_for

# revision identifiers, used by Alembic.
revision = 'c5f0a2d9e7b4'
down_revision = 'e4a1c7d2b8f3'
branch_labels = None
depends_on = None

attempts = sa.table(
    "quiz_attempts", sa.column("id", sa.Integer), sa.column("status", sa.String), sa.column("questions", sa.JSON),
    sa.column("answers", sa.JSON), sa.column("graded", sa.JSON),
)
PRINTED = {  # what a certificate's PDF prints, typed as the model types it
    "code": sa.String, "status": sa.String, "learner_name": sa.String, "course_title": sa.String,
    "course_format": sa.String, "provider_name": sa.String, "provider_address": sa.Text,
    "completion_date": sa.Date, "amount": sa.Numeric(10, 4), "unit": sa.String,
    "pharmacology_hours": sa.Numeric(10, 4), "approval_body": sa.Text, "approval_number": sa.String,
    "statement": sa.Text, "issued_at": sa.DateTime(timezone=True),
}
certificates = sa.table(
    "certificates", sa.column("id", sa.Integer), *(sa.column(name, kind) for name, kind in PRINTED.items()),
)
pdfs = sa.table("certificate_pdfs", sa.column("certificate_id", sa.Integer), sa.column("pdf", sa.LargeBinary))
documents = sa.table(
    "certificate_documents", sa.column("certificate_id", sa.Integer), sa.column("status", sa.String),
    sa.column("verify_url", sa.Text), sa.column("pdf", sa.LargeBinary),
)


def upgrade():
    connection = op.get_bind()
    with op.batch_alter_table('quiz_attempts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('graded', sa.JSON(), nullable=True))
    for attempt_id, questions, answers in connection.execute(
        sa.select(attempts.c.id, attempts.c.questions, attempts.c.answers).where(attempts.c.status == "submitted")
    ).all():
        graded = {q["id"]: set(answers.get(q["id"], [])) == set(q["correct"]) for q in questions}
        connection.execute(attempts.update().where(attempts.c.id == attempt_id).values(graded=graded))

    op.create_table('certificate_pdfs',
    sa.Column('certificate_id', sa.Integer(), nullable=False),
    sa.Column('pdf', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['certificate_id'], ['certificates.id'], name=op.f('fk_certificate_pdfs_certificate_id_certificates'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('certificate_id', name=op.f('pk_certificate_pdfs'))
    )
    _move_or_draw_pdfs(connection)
    op.drop_table('certificate_documents')


def _move_or_draw_pdfs(connection) -> None:
    from credits.pdf import certificate_pdf  # the app's own drawing code, as the app draws at issue

    kept = {
        certificate_id: (status, verify_url, pdf)
        for certificate_id, status, verify_url, pdf in connection.execute(
            sa.select(documents.c.certificate_id, documents.c.status, documents.c.verify_url, documents.c.pdf)
        )
    }
    for row in connection.execute(sa.select(certificates.c.id, *(certificates.c[name] for name in PRINTED))).all():
        verify_url = url_for("credits.verify", code=row.code, _external=True)
        status, kept_url, pdf = kept.get(row.id, (None, None, None))
        if (status, kept_url) != (row.status, verify_url):
            # Columns added by later migrations did not exist yet: their certificates print none.
            later = {"licence_state": None, "licence_type": None, "licence_number": None, "course_level": None}
            printed = SimpleNamespace(**later, **row._mapping, address_lines=row.provider_address.split("\n"))
            pdf = certificate_pdf(printed, verify_url)
        connection.execute(pdfs.insert().values(certificate_id=row.id, pdf=pdf))


def downgrade():
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
    op.drop_table('certificate_pdfs')
    with op.batch_alter_table('quiz_attempts', schema=None) as batch_op:
        batch_op.drop_column('graded')
