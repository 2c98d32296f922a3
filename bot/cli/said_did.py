"""`lessonloop said-did add | list`: "you said, we did" notes from the command line (issue 17)."""

import json
from typing import Annotated

import typer
from sqlmodel import Session

from bot.core.clock import utcnow
from schedules import audit
from schedules.said_did import ABOUT, AUDIENCES, NoteError, add_note, list_notes

app = typer.Typer(help='"You said, we did": answer what staff reported; it goes with their next lesson.', no_args_is_help=True)


def _service():
    from bot.cli.ops import open_service

    return open_service()


@app.command()
def add(
    about: Annotated[
        str, typer.Option(help=f"What it answers, as KIND:ID with KIND one of {', '.join(ABOUT)} (e.g. factor:workload)")
    ],
    to: Annotated[
        str, typer.Option(help=f"Who it is for, as KIND:NAME with KIND one of {', '.join(AUDIENCES)} (e.g. role:social-worker)")
    ],
    text: Annotated[str, typer.Option(help="The note: what you did")],
) -> None:
    """Add a note; each person it is addressed to gets it once, with their next weekly lesson."""
    about_kind, _, about_id = about.partition(":")
    audience_kind, _, audience = to.partition(":")
    service = _service()
    with Session(service.engine) as session:
        try:
            note = add_note(
                session,
                about_kind=about_kind,
                about=about_id,
                audience_kind=audience_kind,
                audience=audience,
                text=text,
                author="cli",
                scope_agency=None,
                now=utcnow(),
            )
        except NoteError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from None
        audit.record(session, actor="cli", action="said_did.add", detail=f"note {note.id} to {to}", now=utcnow())
        session.commit()
        typer.echo(f"note {note.id} saved: it goes out with each person's next weekly lesson")


@app.command("list")
def list_command(as_json: Annotated[bool, typer.Option("--json", help="JSON output")] = False) -> None:
    """Notes, whom they were for, how many people they have reached and when last sent."""
    service = _service()
    with Session(service.engine) as session:
        notes = list_notes(session)
    if as_json:
        typer.echo(json.dumps([n.as_dict() for n in notes], indent=2))
        return
    for n in notes:
        last = n.last_sent.strftime("%Y-%m-%d %H:%M") if n.last_sent else "not yet"
        typer.echo(
            f"#{n.id:<4} {n.created_at:%Y-%m-%d} {n.about_kind}:{n.about} -> {n.audience_kind}:{n.audience}  reached {n.reached}, last {last}"
        )
        typer.echo(f"      {n.text}")
