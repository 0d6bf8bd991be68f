"""staff search customers by name, email, codice fiscale, partita IVA: trigram indexes

Revision ID: 0005
Revises: 0004
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

# The same expressions as repository.ACCOUNT_SEARCH_TEXT / BILLING_SEARCH_TEXT (a copy: a
# migration must not change when the code does).
ACCOUNT_TEXT = "(first_name || ' ' || last_name || ' ' || email)"
BILLING_TEXT = ("(coalesce(data ->> 'tax_code', '') || ' ' || coalesce(data ->> 'vat_number', '') "
                "|| ' ' || coalesce(data ->> 'company_name', ''))")


def upgrade() -> None:
    # Trusted since PostgreSQL 13: the database's owner may create it.
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.execute(f"CREATE INDEX ix_accounts_search ON accounts USING gin ({ACCOUNT_TEXT} gin_trgm_ops)")
    op.execute(f"CREATE INDEX ix_billing_profiles_search ON billing_profiles "
               f"USING gin ({BILLING_TEXT} gin_trgm_ops)")
    # The list with no search: customers newest first, the keyset order.
    op.execute("CREATE INDEX ix_accounts_customers_created ON accounts (created_at, id) "
               "WHERE role = 'customer' AND deleted_at IS NULL")


def downgrade() -> None:
    op.execute("DROP INDEX ix_accounts_customers_created")
    op.execute("DROP INDEX ix_billing_profiles_search")
    op.execute("DROP INDEX ix_accounts_search")
