"""`lessonloop people ...`: import a roster."""
from pathlib import Path
from typing import Annotated

import typer
from sqlmodel import Session

from bot.core.db import make_engine, upgrade
from bot.core.clock import utcnow
from bot.core.settings import Settings
from lesson_bank.taxonomy import load_taxonomy
from schedules import audit
from schedules.people import upsert_roster
from schedules.roster import parse_roster

app = typer.Typer(help="People and teams.", no_args_is_help=True)


def import_roster_file(settings: Settings, path: Path, actor: str = "cli") -> tuple[int, int]:
    """Check the whole file first; any problem rejects it whole and changes nothing."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RosterRejected([f"{path}:0: error: cannot read the file ({exc})"]) from None
    rows, problems = parse_roster(text, str(path), set(load_taxonomy().roles))
    if problems:
        raise RosterRejected([str(p) for p in problems])
    url = settings.sqlalchemy_url()
    upgrade(url)
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            # with Slack configured people are nudged there unless their row says otherwise; anyone not
            # found in the workspace gets email (with the reason) and stays on email
            default = "slack" if settings.slack_enabled else "email"
            counts = upsert_roster(session, rows=rows, default_channel=default, now=utcnow())
            audit.record(session, actor=actor, action="people.import", detail=f"{path.name}: {counts[0]} new, {counts[1]} updated", now=utcnow())
            session.commit()
    finally:
        engine.dispose()
    return counts


class RosterRejected(Exception):
    def __init__(self, lines: list[str]):
        super().__init__("\n".join(lines))
        self.lines = lines


@app.command("import")
def import_roster(path: Annotated[Path, typer.Argument(help="CSV: email,name,role,team,agency[,timezone,nudge_day,nudge_time,channel,access]")]) -> None:
    """Add or update people by email. A file with any problem is rejected whole."""
    try:
        created, updated = import_roster_file(Settings(), path)
    except RosterRejected as exc:
        for line in exc.lines:
            typer.echo(line, err=True)
        typer.echo(f"rejected: {len(exc.lines)} problem(s); nothing was changed", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"imported {created + updated} people ({created} new, {updated} updated)")
