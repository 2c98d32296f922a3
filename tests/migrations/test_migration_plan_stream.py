"""Migration 0016n (planning and the idle tick at scale) goes down and up again on both databases, and
converts "look now"."""

from alembic import command
from sqlalchemy import create_engine, inspect, text

from bot.core.db import alembic_config, upgrade

PERSON = (
    "INSERT INTO person (email, name, role, agency, timezone, nudge_day, nudge_time, channel, access, status, created_at,"
    " reminders) VALUES ('ann@example.org', 'Ann', 'gp', '', 'Europe/London', 1, '10:00', 'email', 'member', 'active',"
    " '2026-11-01 00:00:00', true)"
)
BEFORE = {"ix_delivery_person_id": "", "ix_person_status": "", "ix_delivery_sent_at": "", "ix_delivery_parent_id": ""}
AFTER = {
    "ix_person_lead": "access = 'safeguarding_lead'",
    "ix_delivery_sent_at": "sent_at IS NOT NULL",
    "ix_delivery_parent_id": "parent_id IS NOT NULL",
    "ix_person_slack_user_id": "slack_user_id IS NOT NULL",
}
GONE = {"ix_delivery_person_id", "ix_person_status"}


def indexes(url: str) -> dict[str, str]:
    """Index name -> its WHERE (empty for a whole-table index), on person and delivery."""
    engine = create_engine(url)
    try:
        found = inspect(engine)
        return {
            index["name"]: " ".join(
                str(where) for key, where in index.get("dialect_options", {}).items() if key.endswith("_where")
            )
            for table in ("person", "delivery")
            for index in found.get_indexes(table)
        }
    finally:
        engine.dispose()


def look_now(url: str) -> str:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return connection.execute(text("SELECT CAST(next_plan_at AS text) FROM person")).scalar_one()
    finally:
        engine.dispose()


def assert_after(url: str) -> None:
    found = indexes(url)
    assert not GONE & set(found)
    for name, where in AFTER.items():  # PostgreSQL writes the condition back in its own words
        assert where.split()[0] in found[name] and ("NULL" in found[name]) == ("NULL" in where), (name, found[name])


def test_0016n_downgrades_and_upgrades(database_url):
    assert_after(database_url)
    command.downgrade(alembic_config(database_url), "0013e")  # the revision before this one
    found = indexes(database_url)
    assert {name: found.get(name) for name in BEFORE} == BEFORE and "ix_person_lead" not in found
    engine = create_engine(database_url)
    with engine.begin() as connection:
        connection.execute(text(PERSON))  # a bulk load that leaves next_plan_at to the database's default
    engine.dispose()
    assert look_now(database_url).startswith("1970-01-01 00:00:00")

    upgrade(database_url)
    assert_after(database_url)
    # SQLite compares times as text: "look now" is now stored as SQLAlchemy writes every other time there
    if database_url.startswith("sqlite"):
        assert look_now(database_url) == "1970-01-01 00:00:00.000000"
