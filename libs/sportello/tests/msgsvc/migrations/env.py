from sportello.alembic_env import run_migrations
from sqlalchemy import MetaData

run_migrations(MetaData())
