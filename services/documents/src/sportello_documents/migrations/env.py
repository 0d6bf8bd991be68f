from sportello.alembic_env import run_migrations
from sportello_documents.models import Base

run_migrations(Base.metadata)
