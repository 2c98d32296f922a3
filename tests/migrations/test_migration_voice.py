"""Migration 0011v (frontline voice) goes down and up again cleanly on both databases."""

from alembic import command
from sqlalchemy import create_engine, inspect

from bot.core.db import alembic_config, upgrade

TABLES = {"lessonproposal", "practicemoment", "saiddidnote", "saiddidseen"}


def tables(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_0011v_downgrades_and_upgrades(database_url):
    assert TABLES <= tables(database_url)
    command.downgrade(alembic_config(database_url), "0012c")
    assert not TABLES & tables(database_url)
    upgrade(database_url)
    assert TABLES <= tables(database_url)
