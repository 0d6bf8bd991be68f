from sportello.alembic_env import run_migrations
from sportello_orders.models import Base

run_migrations(Base.metadata)
