"""The `lessonloop` command: one Typer app, each command group in its own module."""
import typer

from bot.core.settings import SettingsError

from bot.cli import digests as cli_digests
from bot.cli import lessons as cli_lessons
from bot.cli import loop as cli_loop
from bot.cli import msteams as cli_msteams
from bot.cli import ops as cli_ops
from bot.cli import people as cli_people
from bot.cli import privacy as cli_privacy
from bot.cli import slack as cli_slack
from bot.cli import voice as cli_voice
from bot.cli import said_did as cli_said_did

# Plain help: rich formatting costs ~0.5 s of imports on every `lessonloop ...` (issue 11: --help in <= 0.5 s).
app = typer.Typer(help="LessonLoop: lessons from case reviews, one short nudge a week.", no_args_is_help=True,
                  rich_markup_mode=None, pretty_exceptions_enable=False)
app.add_typer(cli_lessons.app, name="lessons")
app.add_typer(cli_people.app, name="people")
app.add_typer(cli_msteams.app, name="msteams")
app.add_typer(cli_slack.app, name="slack")
app.add_typer(cli_loop.app, name="loop")
cli_ops.register(app)
cli_privacy.register(cli_people.app, app)
cli_digests.register(app)
cli_loop.register(cli_digests.export_app)
app.add_typer(cli_said_did.app, name="said-did")  # issue 17
cli_voice.register(app, cli_lessons.app)  # issue 17


def main() -> None:
    try:
        app()
    except SettingsError as exc:  # a command that reads settings itself: one clear line, not a traceback
        typer.echo(f"error: {exc}", err=True)
        raise SystemExit(2) from None
