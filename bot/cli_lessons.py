"""`lessonloop lessons ...`: lint, list and coverage of the lesson bank."""
import json
from datetime import date
from pathlib import Path
from typing import Annotated, Optional

import typer

from bot.content import load_bank
from bot.settings import Settings
from lesson_bank.coverage import coverage_matrix, format_matrix
from lesson_bank.taxonomy import load_taxonomy

app = typer.Typer(help="Lint, list and inspect the lesson bank.", no_args_is_help=True)


@app.command()
def lint(paths: Annotated[Optional[list[Path]], typer.Argument(help="Files or folders (default: the bank)")] = None) -> None:
    """Check lesson files; print path:line: problems; exit 1 on any error."""
    for path in paths or []:
        if not path.exists():
            typer.echo(f"{path}:0: error: no such file or folder", err=True)
            raise typer.Exit(1)
    result = load_bank(Settings(), date.today(), paths)
    for problem in result.problems:
        typer.echo(str(problem))
    errors = len(result.errors)
    typer.echo(f"{len(result.lessons)} lessons ok, {errors} errors, {len(result.problems) - errors} warnings", err=True)
    raise typer.Exit(1 if errors else 0)


@app.command("list")
def list_lessons(
    role: Annotated[Optional[str], typer.Option(help="Only lessons tagged for this role id")] = None,
    theme: Annotated[Optional[str], typer.Option(help="Only lessons with this theme id")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON output")] = False,
) -> None:
    """List the lessons that load cleanly."""
    taxonomy = load_taxonomy()
    for value, vocabulary, kind in ((role, taxonomy.roles, "role"), (theme, taxonomy.themes, "theme")):
        if value and value not in vocabulary:
            typer.echo(f"unknown {kind} '{value}' (known: {', '.join(sorted(vocabulary))})", err=True)
            raise typer.Exit(2)
    lessons = [
        lesson for lesson in load_bank(Settings(), date.today()).lessons
        if (not role or role in lesson.roles) and (not theme or theme in lesson.themes)
    ]
    if as_json:
        rows = [
            {"id": l.id, "title": l.title, "status": l.status.value, "kind": l.kind.value, "themes": list(l.themes),
             "roles": list(l.roles), "version": l.version, "local": l.local}
            for l in lessons
        ]
        typer.echo(json.dumps(rows, indent=2))
        return
    for lesson in lessons:
        typer.echo(f"{lesson.id:45} {lesson.status.value:9} {','.join(lesson.themes)}  {lesson.title}")
    typer.echo(f"{len(lessons)} lessons", err=True)


@app.command()
def coverage(as_json: Annotated[bool, typer.Option("--json", help="JSON output")] = False) -> None:
    """Print the role-by-theme matrix of published lessons, so gaps show at a glance."""
    taxonomy = load_taxonomy()
    matrix = coverage_matrix(load_bank(Settings(), date.today()).lessons, taxonomy)
    typer.echo(json.dumps(matrix, indent=2) if as_json else format_matrix(matrix))
