"""Database engine and schema upgrades (Alembic), built from settings on demand."""

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, event
from sqlmodel import create_engine

import migrations

MIGRATIONS_DIR = Path(migrations.__file__).parent


def make_engine(url: str) -> Engine:
    # hide_parameters: a database error's message must never quote the values it was given (a reflection).
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, hide_parameters=True)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10, hide_parameters=True)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # WAL lets readers (reply pages) work while a dispatcher writes; busy_timeout queues writers.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    # In WAL mode NORMAL keeps every commit through a crash of the process (only a power cut can lose the
    # last ones) without an fsync per commit: the dispatcher commits each outcome as it happens.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    # Deleted rows are overwritten with zeros, so `people forget` leaves nothing in free pages.
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.close()


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str) -> None:
    command.upgrade(alembic_config(url), "head")


def scrub_freed_space(engine: Engine, tables: tuple[str, ...]) -> None:
    """After personal data is deleted, make sure no copy stays on disk.

    SQLite: connections run with secure_delete (freed pages are zeroed); a TRUNCATE checkpoint then copies
    the WAL into the file and empties it, so older page images holding the data are gone too.
    PostgreSQL: deleted and updated rows stay in the table files as dead tuples until VACUUM reclaims
    them; VACUUM cannot run inside a transaction, hence autocommit."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        if connection.dialect.name == "sqlite":
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        elif connection.dialect.name == "postgresql":
            for table in tables:
                connection.exec_driver_sql(f'VACUUM "{table}"')
