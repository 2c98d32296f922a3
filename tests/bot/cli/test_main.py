"""The command list `lessonloop --help` prints without importing the command modules is the full app's,
and each command runs with only the modules its first word names."""

import click
import typer

from bot.cli.main import COMMANDS, build_app, overview


def _commands(app: typer.Typer) -> dict[str, click.Command]:
    group = typer.main.get_command(app)
    ctx = click.Context(group)
    return {name: group.get_command(ctx, name) for name in group.list_commands(ctx)}


def test_the_quick_help_lists_exactly_the_apps_commands():
    assert set(COMMANDS) == set(_commands(build_app()))
    text = overview()
    assert all(f"  {name} " in text for name in COMMANDS)


def test_each_command_is_defined_by_the_modules_named_for_it():
    for name, (modules, _) in COMMANDS.items():
        assert name in _commands(build_app(modules)), name


def test_the_moment_dimensions_the_cli_offers_are_the_ones_the_figures_take():
    from bot.cli.voice import MOMENT_DIMENSIONS
    from bot.core.voice_figures import MOMENT_DIMENSIONS as FIGURES

    assert MOMENT_DIMENSIONS == FIGURES
