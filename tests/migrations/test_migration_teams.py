"""Migration 0003 goes down and up again cleanly on both databases, and matches the models."""

from alembic import command
from sqlalchemy import create_engine, inspect

from bot.core.db import alembic_config, upgrade


def columns(url: str, table: str) -> set[str]:
    engine = create_engine(url)
    try:
        inspector = inspect(engine)
        return {c["name"] for c in inspector.get_columns(table)} if inspector.has_table(table) else set()
    finally:
        engine.dispose()


def test_0003_downgrades_and_upgrades(database_url):
    assert "theme_posts" in columns(database_url, "team")
    assert {"team_id", "kind", "period", "status", "attempts", "next_attempt_at"} <= columns(database_url, "channelpost")
    command.downgrade(alembic_config(database_url), "0002")
    assert "theme_posts" not in columns(database_url, "team") and not columns(database_url, "channelpost")
    upgrade(database_url)
    assert "theme_posts" in columns(database_url, "team") and columns(database_url, "channelpost")
