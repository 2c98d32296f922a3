"""The `lessonloop` command: one Typer app, each command group in its own module."""
import typer

from bot import cli_lessons, cli_ops, cli_people, cli_slack

app = typer.Typer(help="LessonLoop: lessons from case reviews, one short nudge a week.", no_args_is_help=True)
app.add_typer(cli_lessons.app, name="lessons")
app.add_typer(cli_people.app, name="people")
app.add_typer(cli_slack.app, name="slack")
cli_ops.register(app)


def main() -> None:
    app()
