"""`lessonloop lessons proposals | accept-proposal | decline-proposal` and `lessonloop moments`: frontline
voice (issue 17) from the command line, for admins (every agency)."""

import json
from typing import Annotated

import typer

from bot.cli.options import fail

# The `lessons` group loads this module for `lessons lint` too: its database modules load only when used.
MOMENT_DIMENSIONS = ("factor", "theme", "outcome", "period")  # bot.core.voice_figures checks the same


def _service():
    from bot.cli.ops import open_service

    return open_service()


def register(app: typer.Typer, lessons_app: typer.Typer) -> None:
    @lessons_app.command()
    def proposals(
        as_json: Annotated[bool, typer.Option("--json", help="JSON output")] = False,
        status: Annotated[str | None, typer.Option(help="new, accepted or declined")] = None,
    ) -> None:
        """The review queue of lessons proposed by practitioners (anonymous unless they asked to be credited)."""
        service = _service()
        from sqlmodel import Session

        from schedules.proposals import review_queue

        with Session(service.engine) as session:
            items = review_queue(session, status=status)
        if as_json:
            typer.echo(json.dumps([item.as_dict() for item in items], indent=2))
            return
        for item in items:
            credit = item.credit or "anonymous"
            typer.echo(
                f"#{item.id:<4} {item.status:9} {item.created_at:%Y-%m-%d}  {credit}  roles: {','.join(item.roles) or '-'}"
            )
            typer.echo(f"      what happened: {item.what_happened}")
            typer.echo(f"      learned: {item.learned}")
        typer.echo(f"{len(items)} proposals", err=True)

    @lessons_app.command("accept-proposal")
    def accept_proposal(
        proposal_id: Annotated[int, typer.Argument(help="Proposal number")],
        theme: Annotated[str, typer.Option(help="Theme id for the draft lesson")],
    ) -> None:
        """Write a draft local lesson from a proposal into LESSONLOOP_LOCAL_LESSONS."""
        service = _service()
        from sqlmodel import Session

        from bot.core.proposal_review import accept
        from schedules.proposals import ProposalError

        with Session(service.engine) as session:
            try:
                path = accept(service, session, proposal_id=proposal_id, theme=theme, actor="cli")
            except ProposalError as exc:
                fail(str(exc))
        typer.echo(f"wrote {path}: complete it, then `lessonloop lessons lint {path}` and set status: published")

    @lessons_app.command("decline-proposal")
    def decline_proposal(proposal_id: Annotated[int, typer.Argument(help="Proposal number")]) -> None:
        """Decline a proposal (it stays in the list as declined)."""
        service = _service()
        from sqlmodel import Session

        from bot.core.proposal_review import decline
        from schedules.proposals import ProposalError

        with Session(service.engine) as session:
            try:
                decline(service, session, proposal_id=proposal_id, actor="cli")
            except ProposalError as exc:
                fail(str(exc))
        typer.echo(f"proposal {proposal_id} declined")

    @app.command("moments")
    def moments_command(
        by: Annotated[str, typer.Option(help=f"One of {', '.join(MOMENT_DIMENSIONS)}")] = "factor",
        as_json: Annotated[bool, typer.Option("--json", help="JSON output")] = False,
    ) -> None:
        """Practice moments: counts by factor, theme, outcome or period, small numbers suppressed."""
        service = _service()
        from sqlmodel import Session

        from bot.core.voice_figures import moments
        from schedules.statistics import Filter

        with Session(service.engine) as session:
            try:
                table = moments(service, session, by=by, where=Filter())
            except ValueError as exc:
                fail(str(exc))
        data = table.as_dict()
        if as_json:
            typer.echo(json.dumps(data, indent=2))
            return
        for row in [*data["rows"], data["total"]]:
            typer.echo(f"{row['label']:40} {row['moments']!s:>10} moments  {row['people']!s:>10} people")
        for group in data["excerpts"]:
            typer.echo(f"\n{group['label']}:\n" + "\n".join(f"  - {text}" for text in group["excerpts"]))
