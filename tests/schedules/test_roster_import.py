"""Writing a roster through the staging table (issue 16): bounded statements at any size, repeats named by
line, nothing written when anything is wrong, on SQLite and PostgreSQL alike."""

from datetime import datetime, time, timezone

import pytest
from sqlalchemy import Engine, event, func
from sqlmodel import Session, select
from typer.testing import CliRunner

from bot.cli.main import app
from bot.core.db import make_engine
from schedules import roster_import
from schedules.models import PLAN_NOW, Person, Team
from schedules.roster import MAX_PROBLEMS, Problem, Problems, RosterRow
from schedules.roster_import import STAGING, RosterProblems, import_rows
from tests.helpers import write

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
HEADER = "email,name,role,team,agency,timezone,nudge_day,nudge_time,channel,access,reminders,supervisor_email\n"


@pytest.fixture
def engine(settings):
    engine = make_engine(settings.sqlalchemy_url())
    yield engine
    engine.dispose()


def _row(n: int, **changes) -> RosterRow:
    values = dict(email=f"p{n}@example.org", name=f"P{n}", role="gp", team=f"Team {n % 7}", agency="NHS", line=n + 2)
    return RosterRow(**{**values, **changes})  # type: ignore[arg-type]


def _import(engine: Engine, rows, *, default_channel: str = "email") -> tuple[int, int]:
    with Session(engine) as session:
        counts = import_rows(session, rows, path="r.csv", problems=Problems(), default_channel=default_channel, now=NOW)
        session.commit()
    return counts


@pytest.fixture
def statements():
    """Every statement any engine sends, with its parameters: (sql, [one parameter set, ...])."""
    seen: list[tuple[str, list]] = []

    def record(_conn, _cursor, sql, parameters, _context, executemany):
        seen.append((sql, list(parameters) if executemany else [parameters]))

    event.listen(Engine, "before_cursor_execute", record)
    yield seen
    event.remove(Engine, "before_cursor_execute", record)


def test_every_statement_is_bounded_whatever_the_roster_size(settings, tmp_path, monkeypatch, statements):
    """With pages of 7 rows, 60 people (then 60 again, half of them known) are written without any statement
    carrying more than one row's worth of parameters, or more than a page of rows: no parameter per person
    (one IN list of every address once failed on PostgreSQL above 65,535 people)."""
    monkeypatch.setattr(roster_import, "PAGE", 7)
    monkeypatch.setenv("LESSONLOOP_DATABASE_URL", settings.database_url)
    runner = CliRunner()
    first = write(
        tmp_path / "first.csv", HEADER + "".join(f"p{n}@example.org,P{n},gp,Team {n % 5},NHS,,,,,,,\n" for n in range(60))
    )
    assert "60 people (60 new, 0 updated)" in runner.invoke(app, ["people", "import", str(first)]).output
    again = write(
        tmp_path / "again.csv", HEADER + "".join(f"p{n}@example.org,R{n},gp,Team {n % 5},NHS,,,,,,,\n" for n in range(30, 90))
    )
    assert "60 people (30 new, 30 updated)" in runner.invoke(app, ["people", "import", str(again)]).output

    most = len(STAGING.columns)  # one staged row's values
    for sql, parameter_sets in statements:
        assert len(parameter_sets) <= 7, sql
        assert all(len(parameters) <= most for parameters in parameter_sets), sql
    staged = [sets for sql, sets in statements if sql.startswith(f"INSERT INTO {STAGING.name}")]
    if settings.database_url.startswith("sqlite"):
        assert [len(sets) for sets in staged] == [7] * 8 + [4] + [7] * 8 + [4]  # a page at a time, twice
    else:
        assert staged == []  # streamed with COPY: no parameters at all
    with Session(make_engine(settings.sqlalchemy_url())) as session:
        people = {p.email: p for p in session.exec(select(Person))}
    assert len(people) == 90 and people["p30@example.org"].name == "R30" and people["p29@example.org"].name == "P29"


def test_more_people_than_postgresql_takes_parameters_in_one_statement(engine):
    """70,000 people (over the 65,535 parameters a PostgreSQL statement can carry), added then updated."""
    n = 70_000
    assert _import(engine, (_row(i) for i in range(n))) == (n, 0)
    assert _import(engine, (_row(i, name=f"Renamed {i}") for i in range(n - 1, n + 1))) == (1, 1)
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(Person)) == n + 1
        assert session.exec(select(Person.name).where(Person.email == f"p{n - 1}@example.org")).one() == f"Renamed {n - 1}"
        assert session.exec(select(Person.name).where(Person.email == "p0@example.org")).one() == "P0"
        first, last = session.exec(select(func.min(Person.id), func.max(Person.id))).one()
        assert session.exec(select(Person.email).where(Person.id == first)).one() == "p0@example.org"  # file order
        assert last is not None and first is not None and last - first == n


def test_new_and_known_people_keep_what_the_row_leaves_out(engine):
    with Session(engine) as session:
        session.add(Team(name="Team 1", agency="Old agency"))
        session.commit()
    rows = [
        _row(1, channel="teams", reminders=False, supervisor_email="sam@example.org", nudge_day=3, nudge_time=time(9, 30)),
        _row(2),
    ]
    assert _import(engine, rows, default_channel="slack") == (2, 0)
    with Session(engine) as session:
        for person in session.exec(select(Person)):
            person.next_plan_at = NOW  # as planning leaves it
            session.add(person)
        session.commit()
    # known: what the row names changes, what it leaves out is kept; new: the defaults
    assert _import(engine, [_row(1, name="Ann", team="Team 9", access="admin"), _row(2, supervisor_email=""), _row(3)]) == (1, 2)
    with Session(engine) as session:
        people = {p.email: p for p in session.exec(select(Person))}
        teams = {t.id: t for t in session.exec(select(Team))}
    one, two, three = (people[f"p{n}@example.org"] for n in (1, 2, 3))
    assert (one.name, teams[one.team_id].name, one.access, one.channel, one.reminders, one.supervisor_email) == (
        "Ann",
        "Team 9",
        "admin",
        "teams",
        False,
        "sam@example.org",
    )
    assert (one.nudge_day, one.nudge_time, one.next_plan_at) == (1, "10:00", PLAN_NOW)  # slot changed: plan again
    assert (two.channel, two.reminders, two.supervisor_email, two.next_plan_at) == ("slack", True, None, PLAN_NOW)
    assert (three.channel, three.status, three.created_at, teams[three.team_id].name) == ("email", "active", NOW, "Team 3")
    assert {t.name: t.agency for t in teams.values()}["Team 1"] == "Old agency"  # a known team keeps its agency


def test_repeats_reject_everything_and_the_connection_is_reusable(engine):
    """A repeat found in staging: nothing written, and the pooled connection (whose SQLite temporary table
    outlives the rollback) takes the next import."""
    problems = Problems()
    with Session(engine) as session:
        with pytest.raises(RosterProblems):
            import_rows(
                session, [_row(1), _row(2), _row(1, line=9)], path="r.csv", problems=problems, default_channel="email", now=NOW
            )
    assert [str(p) for p in problems] == ["r.csv:9: error: column 'email': the same email as line 3"]
    with Session(engine) as session:
        assert session.exec(select(Person)).all() == [] and session.exec(select(Team)).all() == []
    assert _import(engine, [_row(1), _row(2)]) == (2, 0)


def test_errors_name_line_and_column_never_the_person(settings, tmp_path, monkeypatch):
    """Repeats (whatever the case) and the rows' own problems, listed together by line; no address, no name."""
    monkeypatch.setenv("LESSONLOOP_DATABASE_URL", settings.database_url)
    roster = write(
        tmp_path / "staff.csv",
        HEADER
        + "ann.smith@example.org,Ann Smith,gp,North,Council,,,,,,,\n"
        + "bob.jones@example.org,Bob Jones,astronaut,North,Council,,,,,,,\n"
        + "Ann.Smith@Example.org,Annie Smith,gp,North,Council,,,,,,,\n"
        + "cat.green@example.org,Cat Green,gp,North,Council,,,,,,,bob.jones@example\n"
        + "ANN.SMITH@example.org,Ann S,gp,North,Council,,,,,,,\n",
    )
    result = CliRunner().invoke(app, ["people", "import", str(roster)])
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        f"{roster}:3: error: column 'role': unknown role 'astronaut' (known: {result.output.split('(known: ')[1].split(')')[0]})",
        f"{roster}:4: error: column 'email': the same email as line 2",
        f"{roster}:5: error: column 'supervisor_email': not a valid email address "
        + result.output.split("not a valid email address ")[1].splitlines()[0],
        f"{roster}:6: error: column 'email': the same email as line 2",
        "rejected: 4 problem(s); nothing was changed",
    ]
    for personal in ("ann", "bob", "cat", "smith", "jones", "green", "example"):
        assert personal not in result.output.lower(), personal
    with Session(make_engine(settings.sqlalchemy_url())) as session:
        assert session.exec(select(Person)).all() == []


def test_problems_are_listed_by_line_and_counted_beyond_the_list():
    problems = Problems()
    for line in range(10, 10 + MAX_PROBLEMS + 50):
        problems.append(Problem("r.csv", line, "row problem"))
    problems.add_counted([Problem("r.csv", 3, "repeat"), Problem("r.csv", 12, "repeat")], total=1000)
    assert len(problems) == MAX_PROBLEMS and problems.total == MAX_PROBLEMS + 50 + 1000
    assert [(p.line, p.message) for p in problems[:4]] == [
        (3, "repeat"),
        (10, "row problem"),
        (11, "row problem"),
        (12, "row problem"),
    ]
    assert (problems[4].line, problems[4].message) == (12, "repeat")  # same line: in the order found
    assert problems[-1].line == 10 + MAX_PROBLEMS - 3
