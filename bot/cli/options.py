"""What every command does with a bad option: one clear line naming it, exit status 2."""

from datetime import date
from typing import NoReturn

import typer


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
