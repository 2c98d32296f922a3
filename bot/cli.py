"""The `lessonloop` command: one Typer app, each command group in its own module."""
import typer

from bot import cli_lessons

app = typer.Typer(help="LessonLoop: lessons from case reviews, one short nudge a week.", no_args_is_help=True)
app.add_typer(cli_lessons.app, name="lessons")


def main() -> None:
    app()
