"""accent-insensitive prefix search (unaccent text search configurations) and the stored
"price from" of each service, so one query answers a search

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op
from sportello.contracts.forms import FormDefinition, price_from

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

OLD_DOCUMENT = (
    "setweight(to_tsvector('italian', coalesce(name, '')), 'A') || "
    "setweight(to_tsvector('italian', coalesce(short_description, '')), 'B') || "
    "setweight(to_tsvector('italian', coalesce(description, '')), 'C')"
)
# Stemmed words ("traduzioni" finds "traduzione") and the words as written (a prefix such as
# "tradu" matches them), both without accents ("perizìa" finds "perizia").
NEW_DOCUMENT = (
    "setweight(to_tsvector('sportello_italian', coalesce(name, '')), 'A') || "
    "setweight(to_tsvector('sportello_simple', coalesce(name, '')), 'A') || "
    "setweight(to_tsvector('sportello_italian', coalesce(short_description, '')), 'B') || "
    "setweight(to_tsvector('sportello_simple', coalesce(short_description, '')), 'B') || "
    "setweight(to_tsvector('sportello_italian', coalesce(description, '')), 'C') || "
    "setweight(to_tsvector('sportello_simple', coalesce(description, '')), 'C')"
)


def _search_column(document: str) -> None:
    op.drop_index("ix_services_search", table_name="services")
    op.drop_column("services", "search")
    op.add_column("services", sa.Column("search", sa.dialects.postgresql.TSVECTOR,
                                        sa.Computed(document, persisted=True)))
    op.create_index("ix_services_search", "services", ["search"], postgresql_using="gin")


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
    op.execute("CREATE TEXT SEARCH CONFIGURATION sportello_italian (COPY = pg_catalog.italian)")
    op.execute("ALTER TEXT SEARCH CONFIGURATION sportello_italian ALTER MAPPING FOR "
               "hword, hword_part, word WITH unaccent, italian_stem")
    op.execute("CREATE TEXT SEARCH CONFIGURATION sportello_simple (COPY = pg_catalog.simple)")
    op.execute("ALTER TEXT SEARCH CONFIGURATION sportello_simple ALTER MAPPING FOR "
               "hword, hword_part, word WITH unaccent, simple")
    _search_column(NEW_DOCUMENT)

    op.add_column("services", sa.Column("price_from_cents", sa.Integer, nullable=True))
    bind = op.get_bind()
    rows = bind.execute(sa.text(
        "SELECT id, form, base_net_cents FROM services WHERE pricing_mode = 'fixed'")).all()
    for id_, form, base in rows:
        bind.execute(sa.text("UPDATE services SET price_from_cents = :p WHERE id = :id"),
                     {"p": price_from(FormDefinition.model_validate(form), base), "id": id_})


def downgrade() -> None:
    op.drop_column("services", "price_from_cents")
    _search_column(OLD_DOCUMENT)
    op.execute("DROP TEXT SEARCH CONFIGURATION sportello_simple")
    op.execute("DROP TEXT SEARCH CONFIGURATION sportello_italian")
