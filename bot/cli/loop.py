"""`lessonloop loop stats`: reminders and follow-ups (issue 13), with small numbers suppressed."""
import csv
import io
import json
from datetime import date
from typing import Annotated, Optional

import typer
from sqlmodel import Session

from bot.core.loop_figures import loop_table
from bot.core.stats import BadDimension
from digests.loop_tables import loop_dict, loop_text
from schedules.statistics import Filter

app = typer.Typer(help="Closing the loop: reminders, follow-ups and what came of them.", no_args_is_help=True)


def _fail(message: str) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(2)


def _day(option: str, text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        _fail(f"{option} '{text}' is not a date such as 2026-11-01")
        return None


@app.command("stats")
def stats(
    start: Annotated[Optional[str], typer.Option("--from", help="First send date (YYYY-MM-DD)")] = None,
    end: Annotated[Optional[str], typer.Option("--to", help="Last send date (YYYY-MM-DD)")] = None,
    by: Annotated[str, typer.Option(help="theme, role, team, agency or week")] = "week",
    as_json: Annotated[bool, typer.Option("--json", help="JSON output")] = False,
    as_csv_out: Annotated[bool, typer.Option("--csv", help="CSV output")] = False,
) -> None:
    """Reply rate with and without a reminder; commitments, follow-ups answered, tried-and-helped, barriers."""
    from bot.cli.ops import open_service

    where = Filter(start=_day("--from", start), end=_day("--to", end))
    service = open_service()
    with Session(service.engine) as session:
        try:
            table = loop_table(service, session, by=by, where=where)
        except BadDimension as exc:
            _fail(str(exc))
            return
    data = loop_dict(table)
    if as_json:
        typer.echo(json.dumps(data, indent=2))
    elif as_csv_out:
        rows = [*data["rows"], data["total"]]
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        typer.echo(out.getvalue(), nl=False)
    else:
        typer.echo(loop_text(table))
