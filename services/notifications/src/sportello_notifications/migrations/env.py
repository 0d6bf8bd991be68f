from sportello.alembic_env import run_migrations
from sportello_notifications.models import Base

run_migrations(Base.metadata)
