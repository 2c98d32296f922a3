"""The `lessonloop` command: one Typer app, each command group in its own module."""
import typer

from bot import cli_digests, cli_lessons, cli_msteams, cli_ops, cli_people, cli_privacy, cli_slack

app = typer.Typer(help="LessonLoop: lessons from case reviews, one short nudge a week.", no_args_is_help=True)
app.add_typer(cli_lessons.app, name="lessons")
app.add_typer(cli_people.app, name="people")
app.add_typer(cli_msteams.app, name="msteams")
app.add_typer(cli_slack.app, name="slack")
cli_ops.register(app)
cli_privacy.register(cli_people.app, app)
cli_digests.register(app)


def main() -> None:
    app()
