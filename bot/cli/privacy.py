"""`lessonloop people export|forget|pause|leave|resume`, `lessonloop audit`, `lessonloop retention`:
people's rights and the audit trail. Every admin action here is written to the audit log."""

from __future__ import annotations

import getpass
import json
import os
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated, Optional

import typer

from sqlmodel import Session

from bot.core.db import scrub_freed_space
from bot.jobs.retention import replies_before, retention_cutoff, run_retention
from bot.core.learning_records import learning_record, record_as_dict
from bot.core.service import Service
from bot.core.clock import utcnow
from schedules import audit
from schedules.models import PersonStatus
from schedules.people import find_person
from schedules.rollup import mark_stale
from schedules.privacy import FORGET_TABLES, export_person, forget_person, set_status

ByOption = Annotated[
    Optional[str], typer.Option("--by", help="Who is doing this, for the audit log (default: LESSONLOOP_ADMIN or your login)")
]


def _actor(by: str | None) -> str:
    return by or os.environ.get("LESSONLOOP_ADMIN") or getpass.getuser()


def _service() -> Service:
    from bot.cli.ops import open_service

    return open_service()


def _person_or_exit(session: Session, email: str):

    person = find_person(session, email=email)
    if person is None:
        typer.echo(f"error: nobody with email '{email}'", err=True)
        raise typer.Exit(1)
    return person


def remove_outbox_files(mail_dir: Path, delivery_ids: tuple[int, ...]) -> int:
    removed = 0
    for delivery_id in delivery_ids:
        path = mail_dir / f"delivery-{delivery_id}.eml"
        if path.exists():
            path.unlink()
            removed += 1
    return removed


def register(people: typer.Typer, app: typer.Typer) -> None:
    @people.command()
    def export(
        email: str,
        output: Annotated[Optional[Path], typer.Option(help="Write JSON here (default: print)")] = None,
        by: ByOption = None,
    ) -> None:
        """Everything held about a person, as JSON."""
        from schedules import audit
        from sqlmodel import Session

        service = _service()
        with Session(service.engine) as session:
            person = _person_or_exit(session, email)
            record = record_as_dict(learning_record(service, session, person, utcnow().date()))  # issue 13
            data = json.dumps(export_person(session, person=person) | {"learning_record": record}, indent=2)
            audit.record(session, actor=_actor(by), action="people.export", detail=f"person #{person.id}", now=utcnow())
            session.commit()
        if output:
            output.write_text(data, encoding="utf-8")
            typer.echo(f"wrote {output}")
        else:
            typer.echo(data)

    @people.command()
    def forget(
        email: str, yes: Annotated[bool, typer.Option("--yes", help="Do not ask to confirm")] = False, by: ByOption = None
    ) -> None:
        """Remove a person's personal data from every table and the outbox; anonymous counts stay."""
        from schedules import audit
        from sqlmodel import Session

        if not yes:
            typer.echo(
                f"This removes {email}'s name, email, chat ids, reflections and outbox files for good; "
                "their answers stay only as anonymous counts."
            )
            typer.confirm(f"Forget {email}?", abort=True)
        service = _service()
        with Session(service.engine) as session:
            person = _person_or_exit(session, email)
            person_id = person.id
            result = forget_person(session, person=person)
            audit.record(session, actor=_actor(by), action="people.forget", detail=f"person #{person_id}", now=utcnow())
            session.commit()
            mark_stale(session)  # statistics are recounted without the person's link to their answers
        scrub_freed_space(service.engine, FORGET_TABLES)  # no copy left in free pages, the WAL or dead tuples
        files = remove_outbox_files(service.settings.mail_dir, result.delivery_ids)
        typer.echo(
            f"forgotten: {len(result.delivery_ids)} deliveries and {result.replies} replies made anonymous, {files} outbox files removed"
        )

    def _change(email: str, status: str, by: str | None, until: date | None = None) -> None:
        from schedules import audit
        from sqlmodel import Session

        service = _service()
        with Session(service.engine) as session:
            person = _person_or_exit(session, email)
            set_status(session, person=person, status=status, paused_until=until)
            detail = f"person #{person.id} {status}" + (f" until {until}" if until else "")
            audit.record(session, actor=_actor(by), action=f"people.{status}", detail=detail, now=utcnow())
            session.commit()
        typer.echo(f"{email}: {status}" + (f" until {until}" if until else ""))

    @people.command()
    def pause(email: str, weeks: Annotated[int, typer.Option(min=1, max=52, help="How many weeks")], by: ByOption = None) -> None:
        """Stop a person's nudges now, for N weeks."""

        _change(email, PersonStatus.PAUSED, by, date.today() + timedelta(weeks=weeks))

    @people.command()
    def leave(email: str, by: ByOption = None) -> None:
        """Mark a person as having left the organisation: nudges stop now."""

        _change(email, PersonStatus.LEFT, by)

    @people.command()
    def resume(email: str, by: ByOption = None) -> None:
        """Start a paused or unsubscribed person's nudges again."""

        _change(email, PersonStatus.ACTIVE, by)

    @app.command("audit")
    def show_audit(as_json: Annotated[bool, typer.Option("--json")] = False, limit: int = 200) -> None:
        """The audit log, newest first (admins)."""
        from sqlmodel import Session

        service = _service()
        with Session(service.engine) as session:
            rows = [
                {"at": e.at.isoformat(), "actor": e.actor, "action": e.action, "detail": e.detail}
                for e in audit.recent(session, limit=limit)
            ]
        if as_json:
            typer.echo(json.dumps(rows, indent=2))
            return
        for row in rows:
            typer.echo(f"{row['at']}  {row['actor']:30} {row['action']:20} {row['detail']}")

    @app.command()
    def retention(
        days: Annotated[
            Optional[int], typer.Option(min=1, max=36_500, help="Override LESSONLOOP_RETENTION_DAYS (1 or more)")
        ] = None,
        yes: Annotated[bool, typer.Option("--yes", help="Do not ask to confirm")] = False,
        by: ByOption = None,
    ) -> None:
        """Delete replies and reflections older than the retention period, keeping anonymous counts."""

        service = _service()
        days = days if days is not None else service.settings.retention_days
        cutoff = retention_cutoff(service, days)
        count = replies_before(service, cutoff)
        typer.echo(
            f"This deletes {count} replies (and their reflections) made before {cutoff:%Y-%m-%d %H:%M} UTC "
            f"({days} days ago); anonymous counts are kept."
        )
        if count and not yes:
            typer.confirm("Delete them for good?", abort=True)
        deleted = run_retention(service, days, actor=_actor(by))
        typer.echo(f"deleted {deleted} replies older than {days} days")
