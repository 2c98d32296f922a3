"""`lessonloop msteams ...`: the Teams app package and team channel webhooks."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer

if TYPE_CHECKING:
    from schedules.models import Team
    from sqlmodel import Session


app = typer.Typer(help="Microsoft Teams: the app package and team channel webhooks.", no_args_is_help=True)


@app.command("package")
def package_command(
    output: Annotated[Path, typer.Option("--output", "-o", help="Where to write the zip")] = Path("lessonloop-teams.zip"),
    developer: Annotated[str, typer.Option(help="Your organisation's name, shown in Teams")] = "LessonLoop",
    website: Annotated[
        Optional[str], typer.Option(help="https:// address of your LessonLoop (default: LESSONLOOP_BASE_URL)")
    ] = None,
    privacy_url: Annotated[Optional[str], typer.Option(help="https:// address of your privacy notice")] = None,
    terms_url: Annotated[Optional[str], typer.Option(help="https:// address of your terms of use")] = None,
) -> None:
    """Write the Teams app package (manifest.json and icons) ready to upload."""
    from bot.core.settings import Settings
    from bot.teams.package import PackageError, manifest, package

    settings = Settings()
    site = website or settings.base_url
    try:
        app_manifest = manifest(
            app_id=settings.teams_app_id or "",
            base_url=settings.base_url,
            developer=developer,
            website=site,
            privacy_url=privacy_url or f"{site.rstrip('/')}/privacy",
            terms_url=terms_url or f"{site.rstrip('/')}/terms",
        )
        archive = package(app_manifest)  # validated against the manifest schema before anything is written
    except PackageError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    output.write_bytes(archive)
    typer.echo(f"wrote {output} (app id {app_manifest['id']}); upload it in Teams admin centre > Manage apps")


def _team(session: Session, name: str) -> Team:
    from schedules.models import Team
    from sqlmodel import select

    team = session.exec(select(Team).where(Team.name == name)).first()
    if team is None:
        typer.echo(f"error: no team named '{name}' (teams come from the roster's 'team' column)", err=True)
        raise typer.Exit(2)
    return team


@app.command("webhook")
def set_webhook(
    team_name: Annotated[str, typer.Argument(metavar="TEAM", help="Team name as in the roster")],
    url: Annotated[Optional[str], typer.Argument(help="The Workflows webhook URL; omit with --remove")] = None,
    theme: Annotated[Optional[bool], typer.Option("--theme/--no-theme", help="Also post a short 'this week's theme'")] = None,
    remove: Annotated[bool, typer.Option("--remove", help="Stop channel posts for this team")] = False,
) -> None:
    """Set (or remove) the team's Teams Workflows webhook for weekly agenda posts."""
    from bot.cli.ops import open_service
    from bot.core.clock import utcnow
    from schedules.audit import record
    from sqlmodel import Session

    if not remove and not (url or "").startswith("https://"):
        typer.echo(
            "error: URL must be the https:// address Workflows gives for 'when a Teams webhook request is received'", err=True
        )
        raise typer.Exit(2)
    service = open_service()
    with Session(service.engine) as session:
        team = _team(session, team_name)
        team.webhook_url = None if remove else url
        if theme is not None:
            team.theme_posts = theme
        session.add(team)
        record(
            session, actor="cli", action="teams.webhook", detail=f"team {team.id}: {'removed' if remove else 'set'}", now=utcnow()
        )
        session.commit()
        typer.echo(
            f"team '{team.name}': webhook {'removed' if remove else 'set'}; theme posts {'on' if team.theme_posts else 'off'}"
        )


async def _post_now(url: str, card: dict) -> None:
    from bot.teams.webhook import WebhookPoster
    import httpx

    async with httpx.AsyncClient(timeout=30) as client:
        await WebhookPoster(client).post(url, card)


@app.command("webhook-test")
def webhook_test(team_name: Annotated[str, typer.Argument(metavar="TEAM")]) -> None:
    """Post this week's agenda card to the team's webhook now (not recorded as the week's post)."""
    from bot.cli.ops import open_service
    from bot.core.clock import utcnow
    from bot.core.transport import TransportError
    from bot.teams.webhook import build_card
    from schedules.slots import week_key
    from sqlmodel import Session

    service = open_service()
    now = utcnow()
    with Session(service.engine) as session:
        team = _team(session, team_name)
        if not team.webhook_url:
            typer.echo(f"error: team '{team.name}' has no webhook; set one with `lessonloop msteams webhook`", err=True)
            raise typer.Exit(2)
        card = build_card(service, session, team, "agenda", week_key(now.date()), now)
    if card is None:
        typer.echo("error: there is no published lesson to make an agenda item from", err=True)
        raise typer.Exit(1)
    try:
        asyncio.run(_post_now(team.webhook_url, card))
    except TransportError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"posted this week's agenda card to team '{team.name}'")
