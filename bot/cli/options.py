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
