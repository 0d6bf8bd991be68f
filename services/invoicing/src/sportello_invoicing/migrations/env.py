from sportello.alembic_env import run_migrations
from sportello_invoicing.models import Base

run_migrations(Base.metadata)
