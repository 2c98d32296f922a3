"""Migration 0013e (staged roll-out) goes down and up again cleanly on both databases."""

from alembic import command

from bot.core.db import alembic_config, upgrade
from tests.migrations.test_migration_voice import tables


def test_0013e_downgrades_and_upgrades(database_url):
    assert "rolloutwave" in tables(database_url)
    command.downgrade(alembic_config(database_url), "0015s")  # the revision before this one
    assert "rolloutwave" not in tables(database_url)
    upgrade(database_url)
    assert "rolloutwave" in tables(database_url)
