"""report records, batches, events; first and last names

Reporting credit to regulators (ACCME PARS, CE Broker) is tracked record by record:
report_records (what a regulator must receive about a certificate, and its status),
report_batches (one upload), report_batch_items (each record as written into a batch) and
report_events (each record's history).

users.first_name and users.last_name keep apart what regulators match on; users.name stays
the name as printed on certificates. Existing names are split here: the last word is the last
name, the words before it the first name (a one-word name is all last name); the profile asks
learners to check both.

Revision ID: g7c3e5a8b2d1
Revises: c5f0a2d9e7b4
Create Date: 2026-12-02 09:59:19.300428

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = 'g7c3e5a8b2d1'
down_revision = 'c5f0a2d9e7b4'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('report_batches',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('regulator', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('record_count', sa.Integer(), nullable=False),
    sa.Column('row_count', sa.Integer(), nullable=False),
    sa.CheckConstraint("regulator IN ('pars', 'ce-broker')", name=op.f('ck_report_batches_regulator')),
    sa.CheckConstraint("status IN ('open', 'submitted', 'closed')", name=op.f('ck_report_batches_status')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_report_batches_created_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report_batches'))
    )
    op.create_table('report_records',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('regulator', sa.String(length=20), nullable=False),
    sa.Column('action', sa.String(length=10), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('certificate_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('completion_date', sa.Date(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('replaces_id', sa.Integer(), nullable=True),
    sa.Column('payload', sa.JSON(), nullable=True),
    sa.Column('batch_id', sa.Integer(), nullable=True),
    sa.Column('times_sent', sa.Integer(), nullable=False),
    sa.Column('rejection_reason', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("action IN ('add', 'correct', 'delete')", name=op.f('ck_report_records_action')),
    sa.CheckConstraint("regulator IN ('pars', 'ce-broker')", name=op.f('ck_report_records_regulator')),
    sa.CheckConstraint("status <> 'in_batch' OR batch_id IS NOT NULL", name=op.f('ck_report_records_in_batch_has_batch')),
    sa.CheckConstraint("status IN ('pending', 'in_batch', 'submitted', 'accepted', 'rejected', 'corrected', 'resubmitted', 'withdrawn')", name=op.f('ck_report_records_status')),
    sa.ForeignKeyConstraint(['batch_id'], ['report_batches.id'], name=op.f('fk_report_records_batch_id_report_batches')),
    sa.ForeignKeyConstraint(['certificate_id'], ['certificates.id'], name=op.f('fk_report_records_certificate_id_certificates'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['replaces_id'], ['report_records.id'], name=op.f('fk_report_records_replaces_id_report_records')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_report_records_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report_records'))
    )
    with op.batch_alter_table('report_records', schema=None) as batch_op:
        batch_op.create_index('ix_report_records_batch_id', ['batch_id'], unique=False)
        batch_op.create_index('ix_report_records_certificate_id', ['certificate_id'], unique=False)
        batch_op.create_index('ix_report_records_regulator_status', ['regulator', 'status', 'completion_date'], unique=False)
        batch_op.create_index(batch_op.f('ix_report_records_user_id'), ['user_id'], unique=False)
        batch_op.create_index('uq_report_records_add', ['regulator', 'certificate_id'], unique=True, sqlite_where=sa.text("action = 'add'"), postgresql_where=sa.text("action = 'add'"))
        batch_op.create_index('uq_report_records_delete', ['regulator', 'certificate_id'], unique=True, sqlite_where=sa.text("action = 'delete'"), postgresql_where=sa.text("action = 'delete'"))
        batch_op.create_index('uq_report_records_waiting', ['regulator', 'certificate_id'], unique=True, sqlite_where=sa.text("status IN ('pending', 'rejected', 'corrected')"), postgresql_where=sa.text("status IN ('pending', 'rejected', 'corrected')"))

    op.create_table('report_batch_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=10), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('previous_payload', sa.JSON(), nullable=True),
    sa.Column('first_row', sa.Integer(), nullable=True),
    sa.Column('rows', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['report_batches.id'], name=op.f('fk_report_batch_items_batch_id_report_batches'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['record_id'], ['report_records.id'], name=op.f('fk_report_batch_items_record_id_report_records'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report_batch_items')),
    sa.UniqueConstraint('batch_id', 'record_id', name='uq_report_batch_items_batch_record')
    )
    with op.batch_alter_table('report_batch_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_report_batch_items_record_id'), ['record_id'], unique=False)

    op.create_table('report_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=True),
    sa.Column('certificate_id', sa.Integer(), nullable=True),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('via', sa.String(length=20), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_report_events_actor_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['batch_id'], ['report_batches.id'], name=op.f('fk_report_events_batch_id_report_batches'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['certificate_id'], ['certificates.id'], name=op.f('fk_report_events_certificate_id_certificates'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['record_id'], ['report_records.id'], name=op.f('fk_report_events_record_id_report_records'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report_events'))
    )
    with op.batch_alter_table('report_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_report_events_record_id'), ['record_id'], unique=False)

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('first_name', sa.String(length=100), server_default='', nullable=False))
        batch_op.add_column(sa.Column('last_name', sa.String(length=100), server_default='', nullable=False))

    users = sa.table("users", sa.column("id", sa.Integer), sa.column("name", sa.String),
                     sa.column("first_name", sa.String), sa.column("last_name", sa.String))
    connection = op.get_bind()
    split = []
    for user_id, name in connection.execute(sa.select(users.c.id, users.c.name)):
        words = (name or "").split()
        split.append({"user_id": user_id, "first": " ".join(words[:-1])[:100], "last": (words[-1] if words else "")[:100]})
    if split:
        connection.execute(users.update().where(users.c.id == sa.bindparam("user_id"))
                           .values(first_name=sa.bindparam("first"), last_name=sa.bindparam("last")), split)


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('last_name')
        batch_op.drop_column('first_name')

    with op.batch_alter_table('report_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_report_events_record_id'))

    op.drop_table('report_events')
    with op.batch_alter_table('report_batch_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_report_batch_items_record_id'))

    op.drop_table('report_batch_items')
    with op.batch_alter_table('report_records', schema=None) as batch_op:
        batch_op.drop_index('uq_report_records_waiting', sqlite_where=sa.text("status IN ('pending', 'rejected', 'corrected')"), postgresql_where=sa.text("status IN ('pending', 'rejected', 'corrected')"))
        batch_op.drop_index('uq_report_records_delete', sqlite_where=sa.text("action = 'delete'"), postgresql_where=sa.text("action = 'delete'"))
        batch_op.drop_index('uq_report_records_add', sqlite_where=sa.text("action = 'add'"), postgresql_where=sa.text("action = 'add'"))
        batch_op.drop_index(batch_op.f('ix_report_records_user_id'))
        batch_op.drop_index('ix_report_records_regulator_status')
        batch_op.drop_index('ix_report_records_certificate_id')
        batch_op.drop_index('ix_report_records_batch_id')

    op.drop_table('report_records')
    op.drop_table('report_batches')
