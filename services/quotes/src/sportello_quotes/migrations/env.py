from sportello.alembic_env import run_migrations
from sportello_quotes.models import Base

run_migrations(Base.metadata)
