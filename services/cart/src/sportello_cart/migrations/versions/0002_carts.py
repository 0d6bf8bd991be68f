"""carts, lines, replicas, idempotency

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
    op.create_table('cart_sessions',
    sa.Column('id', sa.UUID(), nullable=False),
    sa.Column('token_hash', sa.LargeBinary(length=32), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('touched_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cart_sessions')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_cart_sessions_token_hash'))
    )
    op.create_index(op.f('ix_cart_sessions_touched_at'), 'cart_sessions', ['touched_at'], unique=False)
    op.create_table('catalog_services',
    sa.Column('slug', sa.String(length=200), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('snapshot', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('slug', name=op.f('pk_catalog_services'))
    )
    op.create_table('contacts',
    sa.Column('account_id', sa.UUID(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('first_name', sa.String(length=200), nullable=False),
    sa.Column('last_name', sa.String(length=200), nullable=False),
    sa.Column('as_of', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('account_id', name=op.f('pk_contacts'))
    )
    op.create_table('idempotent_requests',
    sa.Column('customer_id', sa.UUID(), nullable=False),
    sa.Column('scope', sa.String(length=32), nullable=False),
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('response', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('customer_id', 'scope', 'key', name=op.f('pk_idempotent_requests'))
    )
    op.create_table('carts',
    sa.Column('id', sa.UUID(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('customer_id', sa.UUID(), nullable=True),
    sa.Column('session_id', sa.UUID(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("kind IN ('purchase', 'quote')", name=op.f('ck_carts_kind')),
    sa.CheckConstraint('(customer_id IS NULL) <> (session_id IS NULL)', name=op.f('ck_carts_one_owner')),
    sa.ForeignKeyConstraint(['session_id'], ['cart_sessions.id'], 
                            name=op.f('fk_carts_session_id_cart_sessions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_carts')),
    sa.UniqueConstraint('customer_id', 'kind', name='uq_carts_customer_kind'),
    sa.UniqueConstraint('session_id', 'kind', name='uq_carts_session_kind')
    )
    op.create_table('cart_lines',
    sa.Column('id', sa.UUID(), nullable=False),
    sa.Column('seq', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('cart_id', sa.UUID(), nullable=False),
    sa.Column('service_slug', sa.String(length=200), nullable=False),
    sa.Column('service_name', sa.Text(), nullable=False),
    sa.Column('service_version', sa.Integer(), nullable=False),
    sa.Column('answers', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('answer_labels', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('unit_net_cents', sa.BigInteger(), nullable=True),
    sa.Column('vat_rate_bp', sa.Integer(), nullable=False),
    sa.Column('quote_id', sa.UUID(), nullable=True),
    sa.Column('quote_line_id', sa.UUID(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['cart_id'], ['carts.id'], 
                            name=op.f('fk_cart_lines_cart_id_carts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cart_lines')),
    sa.UniqueConstraint('cart_id', 'quote_line_id', name='uq_cart_lines_quote_line')
    )
    op.create_index(op.f('ix_cart_lines_cart_id'), 'cart_lines', ['cart_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_cart_lines_cart_id'), table_name='cart_lines')
    op.drop_table('cart_lines')
    op.drop_table('carts')
    op.drop_table('idempotent_requests')
    op.drop_table('contacts')
    op.drop_table('catalog_services')
    op.drop_index(op.f('ix_cart_sessions_touched_at'), table_name='cart_sessions')
    op.drop_table('cart_sessions')
