"""`lessonloop people ...`: import a roster.

A roster is read once, row by row: each row is checked and staged in the database (schedules.roster_import),
then written from there in a few statements, all in one transaction; any problem (a row's own, or an email
repeated on a later line) rejects the file whole and changes nothing. Memory stays flat at any size: nothing
holds the file, the rows, the addresses or an ORM object per person. Heavy modules are imported inside the
command, so that `lessonloop --help` stays quick."""

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from bot.core.settings import Settings
    from schedules.roster import Problems

app = typer.Typer(help="People and teams.", no_args_is_help=True)


class RosterRejected(Exception):
    def __init__(self, lines: list[str]):
        super().__init__("\n".join(lines))
        self.lines = lines


def _rejection(path: Path, problems: "Problems") -> RosterRejected:
    more = problems.total - len(problems)
    return RosterRejected([str(p) for p in problems] + ([f"{path}: ... and {more} more problem(s)"] if more else []))


def _unreadable(path: Path, exc: Exception) -> RosterRejected:
    return RosterRejected([f"{path}:0: error: cannot read the file ({type(exc).__name__}: {exc.args[-1] if exc.args else ''})"])


def import_roster_file(settings: "Settings", path: Path, actor: str = "cli") -> tuple[int, int]:
    """Check and stage every row; any problem rejects the file whole and changes nothing."""
    from sqlmodel import Session

    from bot.core.clock import utcnow
    from bot.core.db import make_engine, upgrade
    from lesson_bank.taxonomy import load_taxonomy
    from schedules import audit
    from schedules.roster import Problems, roster_rows
    from schedules.roster_import import RosterProblems, import_rows

    roles = set(load_taxonomy().roles)
    try:
        lines = path.open(encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise _unreadable(path, exc) from None
    url = settings.sqlalchemy_url()
    upgrade(url)
    engine = make_engine(url)
    problems = Problems()
    try:
        with lines, Session(engine) as session:  # closed without a commit: rolled back
            try:
                counts = import_rows(
                    session,
                    roster_rows(lines, str(path), roles, problems),
                    path=str(path),
                    problems=problems,
                    # with Slack configured people are nudged there unless their row says otherwise; anyone not
                    # found in the workspace gets email (with the reason) and stays on email
                    default_channel="slack" if settings.slack_enabled else "email",
                    now=utcnow(),
                )
            except (OSError, UnicodeDecodeError) as exc:
                raise _unreadable(path, exc) from None
            except RosterProblems:
                raise _rejection(path, problems) from None
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
