"""Migration 0010l (issue 13) goes down and up again cleanly on both databases, keeping existing people."""

from alembic import command
from sqlalchemy import create_engine, inspect, text

from bot.core.db import alembic_config, upgrade


def columns(url: str, table: str) -> set[str]:
    engine = create_engine(url)
    try:
        inspector = inspect(engine)
        return {c["name"] for c in inspector.get_columns(table)} if inspector.has_table(table) else set()
    finally:
        engine.dispose()


def test_0010l_downgrades_and_upgrades_and_existing_people_get_reminders(database_url):
    assert "reminders" in columns(database_url, "person") and "parent_id" in columns(database_url, "delivery")
    assert {"delivery_id", "outcome", "barrier"} <= columns(database_url, "followupanswer")
    command.downgrade(alembic_config(database_url), "0005")
    assert "reminders" not in columns(database_url, "person") and not columns(database_url, "followupanswer")
    engine = create_engine(database_url)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO person (email, name, role, agency, timezone, nudge_day, nudge_time, channel, access, "
                "status, created_at) VALUES ('a@example.org', 'A', 'gp', '', 'Europe/London', 1, '10:00', "
                "'email', 'member', 'active', '2026-11-24 10:00:00')"
            )
        )
    upgrade(database_url)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT reminders FROM person")).scalar_one() in (True, 1)
    engine.dispose()
