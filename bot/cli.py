"""The `lessonloop` command: one Typer app, each command group in its own module."""
import typer

from bot import cli_digests, cli_lessons, cli_ops, cli_people

app = typer.Typer(help="LessonLoop: lessons from case reviews, one short nudge a week.", no_args_is_help=True)
app.add_typer(cli_lessons.app, name="lessons")
app.add_typer(cli_people.app, name="people")
cli_ops.register(app)
cli_digests.register(app)


def main() -> None:
    app()
