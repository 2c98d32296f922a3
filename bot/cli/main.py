"""The `lessonloop` command: one Typer app, each command group in its own module.

Only the modules a command needs are imported (a command's first word says which), because the heavy ones
(SQLModel, FastAPI, Slack, matplotlib) cost seconds; `lessonloop --help` prints the list of commands without
importing any of them. tests/bot/cli/test_main.py checks that list against the full app."""

import importlib
import sys
from types import ModuleType

import typer

HELP = "LessonLoop: lessons from case reviews, one short nudge a week."

# Each command (or group) and the command modules that define it, with its one-line help.
COMMANDS: dict[str, tuple[tuple[str, ...], str]] = {
    "plan": (("ops",), "Write this week's due nudges to the outbox (idempotent: a slot is planned once)."),
    "dispatch": (("ops",), "Send due deliveries from the outbox (loops every 30 s unless --once)."),
    "status": (("ops",), "How email delivery is going: last accepted message, failures since, what is waiting."),
    "replies": (("ops",), "List recorded replies (for admins; leads see only aggregate statistics)."),
    "serve": (("ops",), "Run the web app with the scheduler ticking planning and dispatch."),
    "db-upgrade": (("ops",), "Create or upgrade the database schema."),
    "audit": (("people", "privacy"), "The audit log, newest first (admins)."),
    "retention": (("people", "privacy"), "Delete replies and reflections older than the retention period."),
    "weekly": (("digests", "loop"), "Send the agenda items and lead digests that are due."),
    "agenda": (("digests", "loop"), "Print a team's agenda item for a week."),
    "stats": (("digests", "loop"), "Anonymous statistics; small numbers are suppressed."),
    "team": (("digests", "loop"), "Team meeting settings."),
    "export": (("digests", "loop"), "Exports."),
    "moments": (("lessons", "voice"), "Practice moments: counts by factor, theme, outcome or period."),
    "lessons": (("lessons", "voice"), "Lint, list and inspect the lesson bank."),
    "people": (("people", "privacy"), "People and teams."),
    "msteams": (("msteams",), "Microsoft Teams: the app package and team channel webhooks."),
    "slack": (("slack",), "Slack: link people to their Slack accounts."),
    "loop": (("loop",), "Closing the loop: reminders, follow-ups and what came of them."),
    "said-did": (("said_did",), '"You said, we did": answer what staff reported; it goes with their next lesson.'),
    "evaluate": (("evaluate",), "Does it work? A staged roll-out: plan the waves, then report."),
}
ALL_MODULES = ("lessons", "people", "msteams", "slack", "loop", "ops", "privacy", "digests", "said_did", "voice", "evaluate")


def build_app(names: tuple[str, ...] = ALL_MODULES) -> typer.Typer:
    """The Typer app with the command modules named (and what they register into each other)."""
    # Plain help: rich formatting costs ~0.5 s of imports on every `lessonloop ...`.
    app = typer.Typer(help=HELP, no_args_is_help=True, rich_markup_mode=None, pretty_exceptions_enable=False)
    mods: dict[str, ModuleType] = {name: importlib.import_module(f"bot.cli.{name}") for name in names}
    for group in ("lessons", "people", "msteams", "slack", "loop", "evaluate"):
        if group in mods:
            app.add_typer(mods[group].app, name=group)
    if "ops" in mods:
        mods["ops"].register(app)
    if "privacy" in mods:
        mods["privacy"].register(mods["people"].app, app)
    if "digests" in mods:
        mods["digests"].register(app)
        mods["loop"].register(mods["digests"].export_app)
    if "said_did" in mods:
        app.add_typer(mods["said_did"].app, name="said-did")
    if "voice" in mods:
        mods["voice"].register(app, mods["lessons"].app)
    return app


def overview() -> str:
    width = max(map(len, COMMANDS))
    lines = ["Usage: lessonloop COMMAND [ARGS]...", "", HELP, "", "Commands:"]
    lines += [f"  {name:{width}}  {text}" for name, (_, text) in COMMANDS.items()]
    lines += ["", "`lessonloop COMMAND --help` for a command's options."]
    return "\n".join(lines)


def main() -> None:
    from bot.core.settings import SettingsError

    args = sys.argv[1:]
    if not args or args[0] in ("--help", "-h"):
        typer.echo(overview())
        return
    names = COMMANDS[args[0]][0] if args[0] in COMMANDS else ALL_MODULES
    try:
        build_app(names)()
    except SettingsError as exc:  # a command that reads settings itself: one clear line, not a traceback
        typer.echo(f"error: {exc}", err=True)
        raise SystemExit(2) from None


def __getattr__(name: str) -> typer.Typer:
    """`from bot.cli.main import app`: the whole app, built on first use (tests, typer's own tools)."""
    if name == "app":
        built = globals()["app"] = build_app()
        return built
    raise AttributeError(name)
