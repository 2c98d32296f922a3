"""Migration 0015s (supervision shares, the roster's supervisor column) goes down and up again on both databases."""

from alembic import command
from sqlalchemy import create_engine, inspect

from bot.core.db import alembic_config, upgrade


def shape(url: str) -> tuple[bool, bool]:
    engine = create_engine(url)
    try:
        found = inspect(engine)
        return "supervisionshare" in found.get_table_names(), "supervisor_email" in {
            c["name"] for c in found.get_columns("person")
        }
    finally:
        engine.dispose()


def test_0015s_downgrades_and_upgrades(database_url):
    assert shape(database_url) == (True, True)
    command.downgrade(alembic_config(database_url), "0014i")  # the revision before this one
    assert shape(database_url) == (False, False)
    upgrade(database_url)
    assert shape(database_url) == (True, True)
