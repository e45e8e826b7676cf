"""Alembic environment: runs migrations on the connection mailbot hands over."""

from alembic import context

from mailbot.web import models as _web_models  # noqa: F401 - the web desk's tables join the metadata
from mailbot.workflow.models import Base

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
