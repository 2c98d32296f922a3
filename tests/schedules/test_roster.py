from sqlmodel import Session, select
from typer.testing import CliRunner

from bot.cli.main import app
from lesson_bank.taxonomy import load_taxonomy
from schedules.models import Person, Team
from schedules.roster import parse_roster
from tests.helpers import write

ROLES = set(load_taxonomy().roles)
HEADER = "email,name,role,team,agency,timezone,nudge_day,nudge_time,channel,access\n"


def test_defaults_and_optional_columns():
    rows, problems = parse_roster("email,name,role,team,agency\nA@Example.org,Ann,gp,Surgery,NHS\n", "r.csv", ROLES)
    assert problems == []
    row = rows[0]
    assert (row.email, row.timezone, row.nudge_day, row.nudge_time.isoformat(), row.access) == (
        "a@example.org",
        "Europe/London",
        1,
        "10:00:00",
        "member",
    )


def test_every_problem_names_row_and_column():
    text = (
        HEADER
        + "\n".join(
            [
                "ok@example.org,Ok,gp,T,A,Europe/London,Tuesday,10:00,email,member",
                "not-an-email,Bad,gp,T,A,,,,,",
                "x@example.org,X,nures,T,A,Mars/Olympus,Funday,25:99,pigeon,boss",
                "OK@example.org,Dup,gp,T,A,,,,,",
            ]
        )
        + "\n"
    )
    rows, problems = parse_roster(text, "roster.csv", ROLES)
    messages = [str(p) for p in problems]
    assert any(m.startswith("roster.csv:3: error: column 'email'") for m in messages)
    for column in ("role", "timezone", "nudge_day", "nudge_time", "channel", "access"):
        assert any(m.startswith(f"roster.csv:4: error: column '{column}'") for m in messages), column
    assert not any("roster.csv:5" in m for m in messages)  # a repeat is found where rows are staged: test_roster_import
    assert not any("ok@example.org" in m or "not-an-email" in m for m in messages)  # no personal data in errors


def test_missing_columns_rejected():
    _, problems = parse_roster("email,name\n", "r.csv", ROLES)
    assert "missing column(s): role, team, agency" in problems[0].message


def test_bad_file_changes_nothing_and_good_file_upserts(settings, tmp_path, monkeypatch, service):
    monkeypatch.setenv("LESSONLOOP_DATABASE_URL", settings.database_url)
    runner = CliRunner()
    good = write(tmp_path / "good.csv", HEADER + "a@example.org,Ann,gp,Surgery,NHS,Europe/London,Monday,09:00,,team_lead\n")
    assert runner.invoke(app, ["people", "import", str(good)]).exit_code == 0
    bad = write(
        tmp_path / "bad.csv",
        HEADER + "a@example.org,Ann Renamed,gp,Surgery,NHS,,,,,\nb@example.org,Bob,astronaut,Surgery,NHS,,,,,\n",
    )
    result = runner.invoke(app, ["people", "import", str(bad)])
    assert result.exit_code == 1
    assert f"{bad}:3: error: column 'role': unknown role 'astronaut'" in result.output
    with Session(service.engine) as session:
        people = session.exec(select(Person)).all()
        assert [(p.name, p.access, p.nudge_day) for p in people] == [("Ann", "team_lead", 0)]
    again = write(tmp_path / "again.csv", HEADER + "A@example.org,Ann Renamed,health-visitor,Clinic,NHS,,,,,\n")
    assert "1 people (0 new, 1 updated)" in runner.invoke(app, ["people", "import", str(again)]).output
    with Session(service.engine) as session:
        person = session.exec(select(Person)).one()
        assert (person.name, person.role) == ("Ann Renamed", "health-visitor")
        assert {t.name for t in session.exec(select(Team))} == {"Surgery", "Clinic"}


def test_nul_bytes_and_over_long_names_are_clear_problems_that_echo_nothing(settings, tmp_path, monkeypatch):
    _, problems = parse_roster(HEADER + "a@example.org,Ann,gp,T,A,,,,,\nb@example.org,B\x00ob,gp,T,A,,,,,\n", "r.csv", ROLES)
    assert [str(p) for p in problems] == [
        "r.csv:3: error: the file contains NUL bytes (is it a spreadsheet or UTF-16 file? save it as CSV UTF-8)"
    ]
    long_name = "Annabel " * 40
    _, problems = parse_roster(HEADER + f"a@example.org,{long_name},gp,{'T' * 130},A,,,,,\n", "r.csv", ROLES)
    messages = [str(p) for p in problems]
    assert "r.csv:2: error: column 'name': is 319 characters long; at most 200" in messages
    assert any("column 'team'" in m for m in messages) and not any("Annabel" in m for m in messages)
    monkeypatch.setenv("LESSONLOOP_DATABASE_URL", settings.database_url)
    utf16 = tmp_path / "excel.csv"
    utf16.write_bytes((HEADER + "a@example.org,Ann,gp,T,A,,,,,\n").encode("utf-16-le"))
    result = CliRunner().invoke(app, ["people", "import", str(utf16)])
    assert result.exit_code == 1 and "NUL bytes" in result.output and result.exception.__class__ is SystemExit


def test_large_roster_is_written_in_pages_and_updates_by_email(settings, tmp_path, monkeypatch, service):
    """More people than one page (and than one IN list could safely hold on PostgreSQL at scale)."""
    monkeypatch.setenv("LESSONLOOP_DATABASE_URL", settings.database_url)
    runner = CliRunner()
    rows = [f"p{n}@example.org,P{n},gp,Team {n % 7},NHS,,,,," for n in range(2500)]
    first = write(tmp_path / "first.csv", HEADER + "\n".join(rows) + "\n")
    assert "2500 people (2500 new, 0 updated)" in runner.invoke(app, ["people", "import", str(first)]).output
    again = write(
        tmp_path / "again.csv",
        HEADER
        + "\n".join(
            [f"p{n}@example.org,Renamed {n},gp,Team {n % 7},NHS,,,,slack," for n in range(1200)]
            + [f"q{n}@example.org,Q{n},gp,New team,NHS,,,,," for n in range(300)]
        )
        + "\n",
    )
    assert "1500 people (300 new, 1200 updated)" in runner.invoke(app, ["people", "import", str(again)]).output
    with Session(service.engine) as session:
        people = {p.email: p for p in session.exec(select(Person))}
        assert len(people) == 2800 and len(list(session.exec(select(Team)))) == 8
    assert (people["p1199@example.org"].name, people["p1199@example.org"].channel) == ("Renamed 1199", "slack")
    assert (people["p1200@example.org"].name, people["p1200@example.org"].channel) == ("P1200", "email")


def test_supervisor_column_is_checked_and_named_in_each_problem():
    """Issue 17 part 5: the optional supervisor_email column, checked like the email column."""
    text = (
        "email,name,role,team,agency,supervisor_email\n"
        "a@example.org,Ann,gp,T,A,Sam.Super@Example.org\n"
        "b@example.org,Bob,gp,T,A,not-an-address\n"
        "c@example.org,Cat,gp,T,A,c@example.org\n"
        "d@example.org,Dan,gp,T,A,\n"
    )
    rows, problems = parse_roster(text, "staff.csv", ROLES)
    messages = [str(p) for p in problems]
    assert len(messages) == 2, messages
    assert messages[0].startswith("staff.csv:3: error: column 'supervisor_email': not a valid email address")
    assert (
        messages[1]
        == "staff.csv:4: error: column 'supervisor_email': is the person's own address; name their supervisor, or leave it empty"
    )
    assert not any("not-an-address" in m for m in messages)  # the address itself is never repeated
    assert [(r.email, r.supervisor_email) for r in rows] == [("a@example.org", "sam.super@example.org"), ("d@example.org", "")]
    rows, _ = parse_roster("email,name,role,team,agency\na@example.org,Ann,gp,T,A\n", "r.csv", ROLES)
    assert rows[0].supervisor_email is None  # no column: whatever is stored stays


def test_supervisor_is_stored_kept_when_the_column_is_absent_and_cleared_when_empty(settings, tmp_path, monkeypatch, service):
    monkeypatch.setenv("LESSONLOOP_DATABASE_URL", settings.database_url)
    runner = CliRunner()

    def supervisor() -> str | None:
        with Session(service.engine) as session:
            return session.exec(select(Person)).one().supervisor_email

    named = write(
        tmp_path / "named.csv", "email,name,role,team,agency,supervisor_email\na@example.org,Ann,gp,T,A,sam@example.org\n"
    )
    assert runner.invoke(app, ["people", "import", str(named)]).exit_code == 0
    assert supervisor() == "sam@example.org"
    without = write(tmp_path / "without.csv", "email,name,role,team,agency\na@example.org,Ann,gp,T,A\n")
    assert runner.invoke(app, ["people", "import", str(without)]).exit_code == 0
    assert supervisor() == "sam@example.org"
    bad = write(tmp_path / "bad.csv", "email,name,role,team,agency,supervisor_email\na@example.org,Ann,gp,T,A,sam@@example\n")
    result = runner.invoke(app, ["people", "import", str(bad)])
    assert result.exit_code == 1 and f"{bad}:2: error: column 'supervisor_email': not a valid email address" in result.output
    assert supervisor() == "sam@example.org"
    emptied = write(tmp_path / "emptied.csv", "email,name,role,team,agency,supervisor_email\na@example.org,Ann,gp,T,A,\n")
    assert runner.invoke(app, ["people", "import", str(emptied)]).exit_code == 0
    assert supervisor() is None
