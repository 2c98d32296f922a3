"""Migration 0016n (planning at scale) goes down and up again on both databases, and converts "look now"."""

from alembic import command
from sqlalchemy import create_engine, inspect, text

from bot.core.db import alembic_config, upgrade

PERSON = (
    "INSERT INTO person (email, name, role, agency, timezone, nudge_day, nudge_time, channel, access, status, created_at,"
    " reminders) VALUES ('ann@example.org', 'Ann', 'gp', '', 'Europe/London', 1, '10:00', 'email', 'member', 'active',"
    " '2026-11-01 00:00:00', true)"
)


def shape(url: str) -> tuple[bool, str]:
    """(whether delivery's person_id and person's status have indexes, person.next_plan_at as stored, as text)"""
    engine = create_engine(url)
    try:
        found = inspect(engine)
        indexes = {i["name"] for table in ("delivery", "person") for i in found.get_indexes(table)}
        indexed = {"ix_delivery_person_id", "ix_person_status"} <= indexes and "ix_person_lead" not in indexes
        assert indexed or ("ix_person_lead" in indexes and not {"ix_delivery_person_id", "ix_person_status"} & indexes)
        with engine.connect() as connection:
            stored = connection.execute(text("SELECT CAST(next_plan_at AS text) FROM person")).scalar_one()
        return indexed, stored
    finally:
        engine.dispose()


def test_0016n_downgrades_and_upgrades(database_url):
    command.downgrade(alembic_config(database_url), "0013e")  # the revision before this one
    engine = create_engine(database_url)
    with engine.begin() as connection:
        connection.execute(text(PERSON))  # a bulk load that leaves next_plan_at to the database's default
    engine.dispose()
    indexed, old = shape(database_url)
    assert indexed and old.startswith("1970-01-01 00:00:00")

    upgrade(database_url)
    indexed, new = shape(database_url)
    assert not indexed
    # SQLite compares times as text: "look now" is now stored as SQLAlchemy writes every other time there
    assert new == "1970-01-01 00:00:00.000000" if database_url.startswith("sqlite") else new.startswith("1970-01-01 00:00:00")

    command.downgrade(alembic_config(database_url), "0013e")
    assert shape(database_url)[0]
    upgrade(database_url)
    assert not shape(database_url)[0]
