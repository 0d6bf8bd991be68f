from sportello.alembic_env import run_migrations
from sportello_accounts.models import Base

run_migrations(Base.metadata)
