"""Migration 0007e goes down and up again on both databases; on SQLite person and team ids are never reused."""

from alembic import command
from sqlalchemy import create_engine, inspect, text

from bot.core.db import alembic_config, upgrade


def _state(url: str) -> tuple[set[str], str | None]:
    engine = create_engine(url)
    try:
        columns = {c["name"] for c in inspect(engine).get_columns("reply")}
        sql = None
        if engine.dialect.name == "sqlite":
            with engine.connect() as connection:
                sql = connection.execute(text("SELECT sql FROM sqlite_master WHERE name = 'person'")).scalar()
        return columns, sql
    finally:
        engine.dispose()


def test_0007e_downgrades_and_upgrades(database_url):
    columns, sql = _state(database_url)
    assert {"check_answered_at", "practice_answered_at"} <= columns
    assert sql is None or "AUTOINCREMENT" in sql
    command.downgrade(alembic_config(database_url), "0005")
    columns, sql = _state(database_url)
    assert "check_answered_at" not in columns and (sql is None or "AUTOINCREMENT" not in sql)
    upgrade(database_url)
    columns, sql = _state(database_url)
    assert "practice_answered_at" in columns and (sql is None or "AUTOINCREMENT" in sql)
