from sportello.alembic_env import run_migrations
from sportello_cart.models import Base

run_migrations(Base.metadata)
