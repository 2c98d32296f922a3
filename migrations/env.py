"""Alembic environment: the target is SQLModel's metadata, the URL comes from the caller."""

from alembic import context
from sqlalchemy import engine_from_config, pool
from sqlmodel import SQLModel

import schedules.models  # noqa: F401  (registers the tables)
from schedules import voice_models  # noqa: F401  (issue 17's tables)
from schedules import supervision  # noqa: F401  (issue 17 part 5: supervision shares)

config = context.config
target_metadata = SQLModel.metadata


def run_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata, literal_binds=True, render_as_batch=True
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connectable = config.attributes.get("connection")
    if connectable is not None:
        context.configure(connection=connectable, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = engine_from_config(config.get_section(config.config_ini_section, {}), prefix="sqlalchemy.", poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
