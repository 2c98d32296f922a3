"""`lessonloop lessons ...`: lint, list, coverage and review dates of the lesson bank."""

import json
from datetime import date
from pathlib import Path
from typing import Annotated, Optional

import typer

from bot.core.content import load_bank
from bot.core.settings import Settings
from lesson_bank.coverage import coverage_matrix, coverage_totals, format_matrix, format_totals
from lesson_bank.quotas import quota_gaps
from lesson_bank.readability import reading_ease, word_count
from lesson_bank.template import new_lesson_text
from lesson_bank.taxonomy import load_taxonomy

app = typer.Typer(help="Lint, list and inspect the lesson bank.", no_args_is_help=True)


@app.command()
def lint(paths: Annotated[Optional[list[Path]], typer.Argument(help="Files or folders (default: the bank)")] = None) -> None:
    """Check lesson files; print path:line: problems; exit 1 on any error."""
    from bot.core.content import load_bank
    from bot.core.settings import Settings

    for path in paths or []:
        if not path.exists():
            typer.echo(f"{path}:0: error: no such file or folder", err=True)
            raise typer.Exit(1)
    result = load_bank(Settings(), date.today(), paths)
    for problem in sorted(result.problems, key=lambda p: (p.line == 0, p.path, p.line)):
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
    from bot.core.content import load_bank
    from bot.core.settings import Settings
    from lesson_bank.taxonomy import load_taxonomy

    taxonomy = load_taxonomy()
    for value, vocabulary, kind in ((role, taxonomy.roles, "role"), (theme, taxonomy.themes, "theme")):
        if value and value not in vocabulary:
            typer.echo(f"unknown {kind} '{value}' (known: {', '.join(sorted(vocabulary))})", err=True)
            raise typer.Exit(2)
    lessons = [
        lesson
        for lesson in load_bank(Settings(), date.today()).lessons
        if (not role or role in lesson.roles) and (not theme or theme in lesson.themes)
    ]
    if as_json:
        rows = [
            {
                "id": l.id,
                "title": l.title,
                "status": l.status.value,
                "kind": l.kind.value,
                "themes": list(l.themes),
                "roles": list(l.roles),
                "version": l.version,
                "local": l.local,
                "plain_english": l.plain_english,
                "words": word_count(l.body),
                "reading_ease": reading_ease(l.body),
            }
            for l in lessons
        ]
        typer.echo(json.dumps(rows, indent=2))
        return
    typer.echo(f"{'id':52} {'status':9} {'words':>5} {'ease':>5}  themes")
    for l in lessons:
        typer.echo(f"{l.id:52} {l.status.value:9} {word_count(l.body):>5} {reading_ease(l.body):>5}  {','.join(l.themes)}")
    typer.echo(f"{len(lessons)} lessons", err=True)


@app.command()
def coverage(as_json: Annotated[bool, typer.Option("--json", help="JSON output")] = False) -> None:
    """Print the role-by-theme matrix of published lessons, so gaps show at a glance."""
    from bot.core.content import load_bank
    from bot.core.settings import Settings
    from lesson_bank.taxonomy import load_taxonomy

    taxonomy = load_taxonomy()
    lessons = load_bank(Settings(), date.today()).lessons
    matrix = coverage_matrix(lessons, taxonomy)
    totals = coverage_totals(lessons, taxonomy)
    gaps = quota_gaps(lessons, taxonomy)
    if as_json:
        typer.echo(json.dumps({"matrix": matrix, "totals": totals, "gaps": gaps}, indent=2))
    else:
        typer.echo(format_matrix(matrix))
        typer.echo("")
        typer.echo(format_totals(totals))
        typer.echo("\n".join(f"gap: {gap}" for gap in gaps) or "all coverage targets met")
    raise typer.Exit(1 if gaps else 0)


@app.command()
def due(
    guidance: Annotated[
        Optional[str], typer.Option(help="Every lesson that depends on this guidance id (e.g. kcsie2025)")
    ] = None,
    before: Annotated[
        Optional[str], typer.Option(help="Lessons whose review date is on or before this date (YYYY-MM-DD)")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON output")] = False,
) -> None:
    """List lessons to re-check: those due for review (by today, or --before), or all that rely on --guidance."""
    taxonomy = load_taxonomy()
    if guidance and guidance not in taxonomy.guidance:
        typer.echo(f"unknown guidance '{guidance}' (known: {', '.join(sorted(taxonomy.guidance))})", err=True)
        raise typer.Exit(2)
    try:
        cutoff = date.fromisoformat(before) if before else (None if guidance else date.today())
    except ValueError:
        typer.echo(f"--before must be a date written YYYY-MM-DD, not '{before}'", err=True)
        raise typer.Exit(2) from None
    lessons = sorted(
        (
            l
            for l in load_bank(Settings(), date.today()).lessons
            if (not guidance or guidance in l.guidance) and (cutoff is None or (l.review_by and l.review_by <= cutoff))
        ),
        key=lambda l: (l.review_by or date.max, l.id),
    )
    if as_json:
        rows = [
            {
                "id": l.id,
                "title": l.title,
                "review_by": l.review_by.isoformat() if l.review_by else None,
                "guidance": list(l.guidance),
                "status": l.status.value,
                "path": str(l.path) if l.path else None,
            }
            for l in lessons
        ]
        typer.echo(json.dumps(rows, indent=2))
        return
    for l in lessons:
        typer.echo(f"{l.review_by.isoformat() if l.review_by else '-':10}  {l.id:52} {','.join(l.guidance)}")
    typer.echo(f"{len(lessons)} lessons to re-check", err=True)


@app.command()
def new(
    theme: Annotated[str, typer.Option(help="Theme id for the new lesson")],
    slug: Annotated[str, typer.Option(help="Words for the id after the theme")] = "new-lesson",
    folder: Annotated[Optional[Path], typer.Option(help="Where to write (default: LESSONLOOP_LOCAL_LESSONS)")] = None,
) -> None:
    """Write a ready-to-fill draft lesson file."""
    from bot.core.settings import Settings
    from lesson_bank.taxonomy import load_taxonomy

    settings = Settings()
    if theme not in load_taxonomy().themes:
        typer.echo(f"unknown theme '{theme}' (known: {', '.join(sorted(load_taxonomy().themes))})", err=True)
        raise typer.Exit(2)
    target = folder or settings.local_lessons
    if target is None:
        typer.echo("say where with --folder, or set LESSONLOOP_LOCAL_LESSONS", err=True)
        raise typer.Exit(2)
    lesson_id = f"{theme}-{slug}"
    path = target / f"{lesson_id}.md"
    if path.exists():
        typer.echo(f"{path} already exists; choose another --slug", err=True)
        raise typer.Exit(1)
    target.mkdir(parents=True, exist_ok=True)
    path.write_text(new_lesson_text(lesson_id, theme, date.today()), encoding="utf-8")
    typer.echo(f"wrote {path}: fill it in, then `lessonloop lessons lint {path}`")


@app.command()
def feedback(as_json: Annotated[bool, typer.Option("--json", help="JSON output")] = False) -> None:
    """Per lesson: how often marked 'not relevant to my role' (and by which roles), and wrong check answers."""
    from sqlmodel import Session

    from bot.cli.ops import open_service
    from bot.core.stats import fresh, published_pieces
    from schedules.feedback import single_role_pieces
    from schedules.statistics import Filter

    from digests.disclosure import PLAIN_WORDS
    from digests.feedback import published_feedback

    service = open_service()
    with Session(service.engine) as session:
        fresh(service, session)
        parts = published_pieces(service, session, dim="lesson", where=Filter())
        data = published_feedback(parts, single_role_pieces(session), min_cell=service.settings.min_cell)
    if as_json:
        typer.echo(json.dumps(data, indent=2))
        return
    show = lambda v: "s" if v is None else v  # noqa: E731
    for row in data:
        roles = ", ".join(f"{role} {n}" for role, n in row["not_relevant_roles"].items()) or "-"
        typer.echo(
            f"{row['lesson_id']:52} replies {show(row['replies']):>4}  wrong {show(row['checks_wrong']):>3}/"
            f"{show(row['checks_answered']):<4} not relevant {show(row['not_relevant']):>3} ({roles})"
        )
    typer.echo(f"s = suppressed. {PLAIN_WORDS.format(k=service.settings.min_cell)}")
