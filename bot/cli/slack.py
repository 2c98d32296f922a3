"""`lessonloop slack link`: find everyone's Slack user and DM channel now, rather than at their first nudge."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Annotated

import typer
from sqlmodel import Session, col, select

if TYPE_CHECKING:
    from bot.core.service import Service
    from bot.slack.web import SlackApi


app = typer.Typer(help="Slack: link people to their Slack accounts.", no_args_is_help=True)


def _unlinked(service: Service) -> list[tuple[int, str]]:
    from schedules.models import Person, PersonStatus

    with Session(service.engine) as session:
        query = select(col(Person.id), col(Person.email)).where(
            col(Person.slack_channel_id).is_(None), col(Person.status).in_([PersonStatus.ACTIVE, PersonStatus.PAUSED])
        )
        return [(pid, email) for pid, email in session.exec(query.order_by(col(Person.id))) if pid is not None]  # stored: always


async def link_people(service: Service, api: SlackApi, *, switch: bool) -> tuple[int, dict[int, str]]:
    """Look up each unlinked person by email (Tier 3 pace). Returns (found, {person id: why not}); only
    people Slack says are not in the workspace move to email, not those hit by a passing error."""
    from bot.core.clock import utcnow
    from bot.core.transport import TransportError
    from bot.slack.channel import NOT_IN_WORKSPACE, find_identity
    from schedules.models import Person
    from schedules.slack_people import not_in_workspace, save_identities

    found, missing = {}, {}
    for person_id, email in _unlinked(service):
        try:
            found[person_id] = await find_identity(api, email)
        except TransportError as error:
            missing[person_id] = error.message
    with Session(service.engine) as session:
        save_identities(session, found=found)
        if switch:
            for person in session.exec(select(Person).where(col(Person.id).in_(list(found)))):
                person.channel = "slack"
                session.add(person)
        gone = [person_id for person_id, reason in missing.items() if reason in NOT_IN_WORKSPACE]
        not_in_workspace(session, person_ids=gone, reason="not found by users.lookupByEmail", now=utcnow())
        session.commit()
    return len(found), missing


@app.command("link")
def link(switch: Annotated[bool, typer.Option(help="Move everyone found to Slack nudges")] = True) -> None:
    """Find each person's Slack account by email and store it; report who is not in the workspace."""
    from bot.core.settings import Settings
    from bot.slack.channel import NOT_IN_WORKSPACE
    from bot.slack.web import SlackApi

    from bot.cli.ops import open_service

    settings = Settings()
    if not settings.slack_enabled:
        typer.echo("error: LESSONLOOP_SLACK_BOT_TOKEN is not set", err=True)
        raise typer.Exit(2)
    service = open_service(settings)
    api = SlackApi.from_settings(settings)

    async def run() -> tuple[int, dict[int, str]]:
        try:
            return await link_people(service, api, switch=switch)
        finally:
            await api.close()

    found, missing = asyncio.run(run())
    for person_id, reason in missing.items():
        typer.echo(
            f"person {person_id}: {reason}{' (email from now on)' if reason in NOT_IN_WORKSPACE else ' (try again later)'}",
            err=True,
        )
    typer.echo(f"linked {found} people; {len(missing)} not found in Slack")
