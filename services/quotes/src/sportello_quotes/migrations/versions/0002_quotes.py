"""quotes, lines, revisions, status history, number counters

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('quote_number_counters',
    sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('last_value', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('year', name=op.f('pk_quote_number_counters'))
    )
    op.create_table('quotes',
    sa.Column('id', sa.UUID(), nullable=False),
    sa.Column('number', sa.Text(), nullable=False),
    sa.Column('status', sa.Text(), nullable=False),
    sa.Column('customer_id', sa.UUID(), nullable=False),
    sa.Column('customer_email', sa.Text(), nullable=True),
    sa.Column('customer_first_name', sa.Text(), nullable=True),
    sa.Column('customer_last_name', sa.Text(), nullable=True),
    sa.Column('message', sa.Text(), nullable=True),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('valid_until', sa.Date(), nullable=True),
    sa.Column('staff_note', sa.Text(), nullable=True),
    sa.Column('net_cents', sa.BigInteger(), nullable=True),
    sa.Column('vat_cents', sa.BigInteger(), nullable=True),
    sa.Column('gross_cents', sa.BigInteger(), nullable=True),
    sa.Column('order_id', sa.UUID(), nullable=True),
    sa.Column('order_number', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('redacted_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quotes')),
    sa.UniqueConstraint('number', name=op.f('uq_quotes_number'))
    )
    op.create_index('ix_quotes_created', 'quotes', ['created_at', 'id'], unique=False)
    op.create_index('ix_quotes_customer_created', 'quotes', ['customer_id', 'created_at', 'id'], unique=False)
    op.create_index('ix_quotes_quoted_valid_until', 'quotes', ['valid_until'], unique=False,
                    postgresql_where="status = 'quoted'")
    op.create_index('ix_quotes_status_created', 'quotes', ['status', 'created_at', 'id'], unique=False)
    op.create_table('quote_lines',
    sa.Column('quote_id', sa.UUID(), nullable=False),
    sa.Column('line_id', sa.UUID(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('service_slug', sa.Text(), nullable=False),
    sa.Column('service_name', sa.Text(), nullable=False),
    sa.Column('service_version', sa.Integer(), nullable=False),
    sa.Column('vat_rate_bp', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('answers', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('answer_labels', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.ForeignKeyConstraint(['quote_id'], ['quotes.id'], name=op.f('fk_quote_lines_quote_id_quotes'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('quote_id', 'line_id', name=op.f('pk_quote_lines'))
    )
    op.create_table('quote_revisions',
    sa.Column('quote_id', sa.UUID(), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('lines', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('net_cents', sa.BigInteger(), nullable=False),
    sa.Column('vat_cents', sa.BigInteger(), nullable=False),
    sa.Column('gross_cents', sa.BigInteger(), nullable=False),
    sa.Column('valid_until', sa.Date(), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('issued_by', sa.UUID(), nullable=False),
    sa.ForeignKeyConstraint(['quote_id'], ['quotes.id'], name=op.f('fk_quote_revisions_quote_id_quotes'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('quote_id', 'revision', name=op.f('pk_quote_revisions'))
    )
    op.create_table('quote_status_history',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('quote_id', sa.UUID(), nullable=False),
    sa.Column('from_status', sa.Text(), nullable=True),
    sa.Column('status', sa.Text(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.Text(), nullable=False),
    sa.Column('actor_id', sa.UUID(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('revision', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['quote_id'], ['quotes.id'], name=op.f('fk_quote_status_history_quote_id_quotes'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quote_status_history'))
    )
    op.create_index(op.f('ix_quote_status_history_quote_id'), 'quote_status_history', ['quote_id'],
                    unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_quote_status_history_quote_id'), table_name='quote_status_history')
    op.drop_table('quote_status_history')
    op.drop_table('quote_revisions')
    op.drop_table('quote_lines')
    op.drop_index('ix_quotes_status_created', table_name='quotes')
    op.drop_index('ix_quotes_quoted_valid_until', table_name='quotes', postgresql_where="status = 'quoted'")
    op.drop_index('ix_quotes_customer_created', table_name='quotes')
    op.drop_index('ix_quotes_created', table_name='quotes')
    op.drop_table('quotes')
    op.drop_table('quote_number_counters')
