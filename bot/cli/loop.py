"""`lessonloop loop stats`: reminders and follow-ups (issue 13), with small numbers suppressed."""

import json
from typing import Annotated, Optional

import typer

from bot.cli.options import AsCsv, AsJson, chosen_lessons, figures
from sqlmodel import Session

from bot.core.loop_figures import loop_table
from digests.loop_impact import impact_csv
from digests.loop_tables import loop_csv, loop_dict, loop_text
from schedules.statistics import Filter

app = typer.Typer(help="Closing the loop: reminders, follow-ups and what came of them.", no_args_is_help=True)


@app.command("stats")
def stats(
    start: Annotated[Optional[str], typer.Option("--from", help="First send date (YYYY-MM-DD)")] = None,
    end: Annotated[Optional[str], typer.Option("--to", help="Last send date (YYYY-MM-DD)")] = None,
    by: Annotated[str, typer.Option(help="theme, role, team, agency or week")] = "week",
    as_json: AsJson = False,
    as_csv_out: AsCsv = False,
) -> None:
    """Reply rate with and without a reminder; commitments, follow-ups answered, tried-and-helped, barriers."""
    table = figures(loop_table, by=by, start=start, end=end)
    print_table(table, as_json=as_json, as_csv_out=as_csv_out)


def print_table(table, *, as_json: bool = False, as_csv_out: bool = False, text=None) -> None:
    if as_json:
        typer.echo(json.dumps(loop_dict(table), indent=2))
    elif as_csv_out:
        typer.echo(loop_csv(table), nl=False)
    else:
        typer.echo((text or loop_text)(table))


@app.command("impact")
def impact(
    start: Annotated[Optional[str], typer.Option("--from", help="First month asked (YYYY-MM-DD)")] = None,
    end: Annotated[Optional[str], typer.Option("--to", help="Last month asked (YYYY-MM-DD)")] = None,
    by: Annotated[str, typer.Option(help="theme, role, team, agency, week (the month asked) or months")] = "week",
    as_json: AsJson = False,
    as_csv_out: AsCsv = False,
) -> None:
    """Impact at 3, 6 and 12 months (issue 17): asked, answered, and how much difference it made."""
    from bot.core.loop_figures import impact_table
    from digests.loop_tables import impact_text

    table = figures(impact_table, by=by, start=start, end=end)
    print_table(table, as_json=as_json, as_csv_out=as_csv_out, text=impact_text)


def export_impact(
    lesson: Annotated[Optional[str], typer.Option(help="Lesson id")] = None,
    theme: Annotated[Optional[str], typer.Option(help="Theme id")] = None,
) -> None:
    """CSV of learning from reviews and its impact (Working Together 2023): per lesson, who it reached, the
    commitments made and what the follow-ups found; small numbers suppressed."""
    from bot.cli.ops import open_service
    from bot.core.stats import theme_map

    service = open_service()
    ids = chosen_lessons(theme_map(service), lesson, theme)
    sources = {i: "; ".join(service.lessons[i].citations()) for i in ids}  # public sources only
    with Session(service.engine) as session:
        table = loop_table(service, session, by="lesson", where=Filter(lesson_ids=ids))
    typer.echo(impact_csv(table, sources), nl=False)


def register(export_app: typer.Typer) -> None:
    export_app.command("impact")(export_impact)
