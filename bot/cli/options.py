"""What every command does with a bad option: one clear line naming it, exit status 2."""

from datetime import date
from typing import Annotated, NoReturn, TypeVar
from collections.abc import Callable

import typer

T = TypeVar("T")


def fail(message: str) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(2)


def day(option: str, text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        fail(f"{option} '{text}' is not a date such as 2026-11-01")


def chosen_lessons(themes: dict[str, str], lesson: str | None, theme: str | None) -> tuple[str, ...]:
    """The lesson ids an export is about: exactly one of --lesson or --theme (`themes`: lesson id -> theme)."""
    if bool(lesson) == bool(theme):
        fail("give exactly one of --lesson or --theme")
    ids = tuple(i for i, t in themes.items() if (i == lesson if lesson else t == theme))
    if not ids:
        fail(f"--lesson: no lesson '{lesson}'" if lesson else f"--theme: no lessons with theme '{theme}'")
    return ids


# The output switches every statistics command offers, spelled once so they read the same everywhere.
AsJson = Annotated[bool, typer.Option("--json", help="JSON output")]
AsCsv = Annotated[bool, typer.Option("--csv", help="CSV output")]


def figures(build: Callable[..., T], *, by: str, start: str | None, end: str | None) -> T:
    """Open the service and build a statistics table for --by over --from/--to: `build` is one of
    bot.core's table builders, which refuse a --by they cannot group by (a bad option, said as such)."""
    from sqlmodel import Session

    from bot.cli.ops import open_service
    from bot.core.stats import BadDimension
    from schedules.statistics import Filter

    where = Filter(start=day("--from", start), end=day("--to", end))
    service = open_service()
    with Session(service.engine) as session:
        try:
            return build(service, session, by=by, where=where)
        except BadDimension as exc:
            fail(str(exc))
