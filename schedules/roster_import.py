"""Write checked roster rows to the database in flat memory, at any size (issue 16).

The rows stream into a temporary staging table: COPY on PostgreSQL, an executemany a page at a time on
SQLite. No statement carries a parameter per person (one `IN` list of every address failed on PostgreSQL
above 65,535 people) and nothing in this process grows with the roster: repeated emails are found in the
staging table, and people and teams are then inserted or updated from it by a few set-based statements.
All of it in the caller's transaction: when any problem is found the caller rolls back and nothing changes.

What an import does to the people it names, as before: new people are added (the organisation's default
channel unless the row names one, reminders on unless it says no); people already known by email get the
row's name, role, team, agency and slot, and keep their channel, reminders switch and supervisor when the
row leaves those out. Everyone named is looked at again by planning on the next tick. People the roster
does not name are left as they are."""

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from itertools import islice

from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    Integer,
    MetaData,
    String,
    Table,
    and_,
    case,
    exists,
    func,
    insert,
    literal,
    select,
    true,
    update,
)
from sqlmodel import Session, SQLModel

from lesson_bank.problems import Problem
from schedules.models import PLAN_NOW, PersonStatus
from schedules.roster import MAX_PROBLEMS, Problems, RosterRow
from schedules.timeutil import UTCDateTime

PAGE = 1000  # rows a statement on SQLite (its parameters: one row's columns, PAGE times over)
REPEATED = "column 'email': the same email as line {first}"

STAGING = Table(
    "roster_staging",
    MetaData(),  # its own: never part of the schema that migrations build
    Column("seq", Integer, primary_key=True, autoincrement=False),  # file order
    Column("line", Integer, nullable=False),
    Column("email", String(254), nullable=False),
    Column("name", String(200), nullable=False),
    Column("role", String(60), nullable=False),
    Column("team", String(120), nullable=False),
    Column("agency", String(120), nullable=False),
    Column("timezone", String(64), nullable=False),
    Column("nudge_day", Integer, nullable=False),
    Column("nudge_time", String(5), nullable=False),
    Column("channel", String(10)),  # None: the default for someone new, theirs kept for someone known
    Column("access", String(20), nullable=False),
    Column("reminders", Boolean),  # None: kept (on for someone new)
    Column("supervisor_email", String(254)),  # None: no such column, kept; "": cleared
    prefixes=["TEMPORARY"],
)
# Built once the rows are in (an index grown row by row costs more); not an Index on STAGING, which would
# make STAGING.create() build it at once.
BY_EMAIL = f"CREATE INDEX {STAGING.name}_email ON {STAGING.name} (email, seq)"
COLUMNS = [column.name for column in STAGING.columns]


class RosterProblems(Exception):
    """Problems were found (they are in the `Problems` the caller gave): nothing may be written."""


def import_rows(
    session: Session, rows: Iterable[RosterRow], *, path: str, problems: Problems, default_channel: str, now: datetime
) -> tuple[int, int]:
    """Stage every row, find repeated emails, then insert and update people and teams. Returns (created,
    updated). `problems` is where the rows' own problems are collected as they are read (by
    roster.roster_rows); repeats are added to it. Raises RosterProblems if it holds any: the caller must
    roll back. The caller commits."""
    connection = session.connection()
    with _staging_table(connection):
        _stage(connection, rows)
        connection.exec_driver_sql(BY_EMAIL)
        if connection.dialect.name == "postgresql":
            # temporary tables are never analysed by autovacuum: without figures the planner guesses badly
            connection.exec_driver_sql(f"ANALYZE {STAGING.name}")
        _find_repeats(connection, path, problems)
        if problems.total:
            raise RosterProblems()
        return _merge(connection, default_channel=default_channel, now=now)


@contextmanager
def _staging_table(connection: Connection) -> Iterator[None]:
    # On SQLite a temporary table outlives a rollback on its (pooled) connection: drop any left over first.
    STAGING.drop(connection, checkfirst=True)
    STAGING.create(connection)
    yield
    STAGING.drop(connection)


def _staged(seq: int, row: RosterRow) -> tuple:
    return (
        seq,
        row.line,
        row.email,
        row.name,
        row.role,
        row.team,
        row.agency,
        row.timezone,
        row.nudge_day,
        row.nudge_time.strftime("%H:%M"),
        row.channel,
        row.access,
        row.reminders,
        row.supervisor_email,
    )


def _stage(connection: Connection, rows: Iterable[RosterRow]) -> None:
    staged = (_staged(seq, row) for seq, row in enumerate(rows))
    if connection.dialect.name == "postgresql":
        # COPY streams the rows (psycopg sends them in buffered chunks): no parameters at all, and the
        # fastest way in. It runs on the session's own connection, so inside its transaction.
        driver = connection.connection.driver_connection
        assert driver is not None
        with driver.cursor() as cursor, cursor.copy(f"COPY {STAGING.name} ({', '.join(COLUMNS)}) FROM STDIN") as copy:
            for values in staged:
                copy.write_row(values)
        return
    statement = insert(STAGING)
    while page := [dict(zip(COLUMNS, values)) for values in islice(staged, PAGE)]:
        connection.execute(statement, page)


def _find_repeats(connection: Connection, path: str, problems: Problems) -> None:
    """Each line whose email an earlier line already has: named by both lines, never by the address."""
    s = STAGING
    firsts = (
        select(s.c.email, func.min(s.c.seq).label("seq"), func.min(s.c.line).label("line"))
        .group_by(s.c.email)
        .having(func.count() > 1)
        .subquery()
    )
    repeats = select(s.c.line, firsts.c.line.label("first")).join(
        firsts, and_(s.c.email == firsts.c.email, s.c.seq > firsts.c.seq)
    )
    total = connection.scalar(select(func.count()).select_from(repeats.subquery())) or 0
    if total:
        listed = connection.execute(repeats.order_by(s.c.seq).limit(MAX_PROBLEMS))
        problems.add_counted([Problem(path, line, REPEATED.format(first=first)) for line, first in listed], total)


def _merge(connection: Connection, *, default_channel: str, now: datetime) -> tuple[int, int]:
    s = STAGING
    person, team = SQLModel.metadata.tables["person"], SQLModel.metadata.tables["team"]
    # Teams first: each one not yet known, with the agency on the first line that names it.
    first_of_team = select(func.min(s.c.seq).label("seq")).group_by(s.c.team).subquery()
    new_teams = (
        select(s.c.team, s.c.agency)
        .join(first_of_team, first_of_team.c.seq == s.c.seq)
        .where(~exists().where(team.c.name == s.c.team))
        .order_by(s.c.seq)
    )
    connection.execute(insert(team).from_select(["name", "agency"], new_teams))
    # Then the people already known (before the new ones are added, so they are not counted as updated).
    # next_plan_at: their slot may have changed; planning looks at each of them on the next tick.
    plan_now = literal(PLAN_NOW, UTCDateTime())
    updated = connection.execute(
        update(person)
        .values(
            name=s.c.name,
            role=s.c.role,
            team_id=team.c.id,
            agency=s.c.agency,
            timezone=s.c.timezone,
            nudge_day=s.c.nudge_day,
            nudge_time=s.c.nudge_time,
            access=s.c.access,
            channel=func.coalesce(s.c.channel, person.c.channel),
            reminders=func.coalesce(s.c.reminders, person.c.reminders),
            supervisor_email=case(
                (s.c.supervisor_email.is_(None), person.c.supervisor_email), else_=func.nullif(s.c.supervisor_email, "")
            ),
            next_plan_at=plan_now,
        )
        .where(person.c.email == s.c.email, team.c.name == s.c.team)
    ).rowcount
    new_people = (
        select(
            s.c.email,
            s.c.name,
            s.c.role,
            team.c.id,
            s.c.agency,
            s.c.timezone,
            s.c.nudge_day,
            s.c.nudge_time,
            func.coalesce(s.c.channel, literal(default_channel)),
            s.c.access,
            literal(PersonStatus.ACTIVE.value),
            literal(now, UTCDateTime()),
            func.coalesce(s.c.reminders, true()),
            func.nullif(s.c.supervisor_email, ""),
            plan_now,
        )
        .join(team, team.c.name == s.c.team)
        .where(~exists().where(person.c.email == s.c.email))
        .order_by(s.c.seq)  # ids in file order
    )
    created = connection.execute(
        insert(person)
        .from_select(
            [
                "email",
                "name",
                "role",
                "team_id",
                "agency",
                "timezone",
                "nudge_day",
                "nudge_time",
                "channel",
                "access",
                "status",
                "created_at",
                "reminders",
                "supervisor_email",
                "next_plan_at",
            ],
            new_people,
        )
        .execution_options(preserve_rowcount=True)  # SQLAlchemy keeps an INSERT's count only when asked
    ).rowcount
    return created, updated
