"""`lessonloop people ...`: import a roster.

A roster is read twice, row by row: once to check every row (any problem rejects the file whole and changes
nothing), then to write it a page at a time in one transaction. Memory stays flat at any size: nothing holds
the file, the rows or an ORM object per person. Heavy modules are imported inside the command, so that
`lessonloop --help` stays quick."""

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from bot.core.settings import Settings

app = typer.Typer(help="People and teams.", no_args_is_help=True)


class RosterRejected(Exception):
    def __init__(self, lines: list[str]):
        super().__init__("\n".join(lines))
        self.lines = lines


def _check(path: Path, roles: set[str]) -> dict[str, str]:
    """Pass one: every row checked. Returns the teams ({name: agency}) the roster names."""
    from schedules.roster import Problems, roster_rows

    problems = Problems()
    teams: dict[str, str] = {}
    try:
        with path.open(encoding="utf-8-sig", newline="") as lines:
            for row in roster_rows(lines, str(path), roles, problems):
                teams.setdefault(row.team, row.agency)
    except (OSError, UnicodeDecodeError) as exc:
        raise RosterRejected(
            [f"{path}:0: error: cannot read the file ({type(exc).__name__}: {exc.args[-1] if exc.args else ''})"]
        ) from None
    if problems.total:
        more = [f"{path}: ... and {problems.total - len(problems)} more problem(s)"] if problems.total > len(problems) else []
        raise RosterRejected([str(p) for p in problems] + more)
    return teams


def import_roster_file(settings: "Settings", path: Path, actor: str = "cli") -> tuple[int, int]:
    """Check the whole file first; any problem rejects it whole and changes nothing."""
    from sqlmodel import Session

    from bot.core.clock import utcnow
    from bot.core.db import make_engine, upgrade
    from lesson_bank.taxonomy import load_taxonomy
    from schedules import audit
    from schedules.people import upsert_roster
    from schedules.roster import Problems, roster_rows

    roles = set(load_taxonomy().roles)
    teams = _check(path, roles)
    url = settings.sqlalchemy_url()
    upgrade(url)
    engine = make_engine(url)
    try:
        with Session(engine) as session, path.open(encoding="utf-8-sig", newline="") as lines:
            # with Slack configured people are nudged there unless their row says otherwise; anyone not
            # found in the workspace gets email (with the reason) and stays on email
            default = "slack" if settings.slack_enabled else "email"
            rows = roster_rows(lines, str(path), roles, Problems())
            counts = upsert_roster(session, rows=rows, default_channel=default, now=utcnow(), teams=teams)
            audit.record(
                session,
                actor=actor,
                action="people.import",
                detail=f"{path.name}: {counts[0]} new, {counts[1]} updated",
                now=utcnow(),
            )
            session.commit()
    finally:
        engine.dispose()
    return counts


@app.command("import")
def import_roster(
    path: Annotated[Path, typer.Argument(help="CSV: email,name,role,team,agency[,timezone,nudge_day,nudge_time,channel,access]")],
) -> None:
    """Add or update people by email. A file with any problem is rejected whole."""
    from bot.core.settings import Settings

    try:
        created, updated = import_roster_file(Settings(), path)
    except RosterRejected as exc:
        for line in exc.lines:
            typer.echo(line, err=True)
        typer.echo(f"rejected: {len(exc.lines)} problem(s); nothing was changed", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"imported {created + updated} people ({created} new, {updated} updated)")
