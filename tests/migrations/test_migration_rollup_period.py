"""Migration 0016k (the rollup's cells by week) goes down and up again cleanly on both databases."""

from alembic import command
from sqlalchemy import create_engine, inspect

from bot.core.db import alembic_config, upgrade
from bot.core.settings import Settings


def statcell_indexes(url: str) -> set[str]:
    engine = create_engine(Settings(database_url=url).sqlalchemy_url())
    try:
        return {index["name"] for index in inspect(engine).get_indexes("statcell") if index["name"]}
    finally:
        engine.dispose()


def test_0016k_downgrades_and_upgrades(database_url):
    assert "ix_statcell_period" in statcell_indexes(database_url)
    command.downgrade(alembic_config(database_url), "0016n")  # the revision before this one
    assert "ix_statcell_period" not in statcell_indexes(database_url)
    upgrade(database_url)
    assert "ix_statcell_period" in statcell_indexes(database_url)
