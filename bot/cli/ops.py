"""`lessonloop plan | dispatch | replies | serve | db`: running the service."""

from __future__ import annotations

import asyncio
import json
import os
from contextlib import asynccontextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Annotated, Optional

import typer

from sqlmodel import Session, col, select

from bot.cli.demo_setup import port_in_use, write_demo_env
from bot.cli.people import import_roster_file
from bot.core.db import upgrade
from bot.jobs.dispatcher import dispatch_due
from bot.jobs.loop_demo import seed_impact_demo, seed_loop_demo
from bot.jobs.planning import run_planning
from bot.compose import build_service
from bot.core.clock import utcnow
from bot.core.settings import InsecureSettings, Settings, SettingsError
from schedules.delivery_health import relay_health
from schedules.models import Reply

DEMO_ROSTER = Path(__file__).parent / "demo_roster.csv"
DEMO_ENV = Path(".env")


def open_service(settings: Settings | None = None):
    try:
        settings = settings or Settings()
        service = build_service(settings)
    except (InsecureSettings, SettingsError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    upgrade(settings.sqlalchemy_url())
    return service


def _parse_at(at: str | None) -> datetime:
    from bot.core.clock import utcnow

    if not at:
        return utcnow()
    try:
        moment = datetime.fromisoformat(at)
    except ValueError:
        typer.echo(f"error: --at '{at}' is not an ISO-8601 time such as 2026-11-24T10:00:00+00:00", err=True)
        raise typer.Exit(2) from None
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


def register(app: typer.Typer) -> None:
    @app.command()
    def plan(
        at: Annotated[Optional[str], typer.Option(help="Plan as if it were this time (ISO-8601; default now)")] = None,
        dry_run: Annotated[bool, typer.Option("--dry-run", help="Show what would be planned; write nothing")] = False,
        as_json: Annotated[bool, typer.Option("--json", help="JSON output")] = False,
    ) -> None:
        """Write this week's due nudges to the outbox (idempotent: a slot is planned once)."""

        service = open_service()
        result = run_planning(service, _parse_at(at), dry_run=dry_run)
        rows = [
            {
                "person_id": p.person_id,
                "period": p.period,
                "lesson_id": p.lesson_id,
                "due_at": p.due_at.isoformat(),
                "is_review": p.is_review,
                "channel": p.channel,
            }
            for p in result.planned
        ]
        if as_json:
            typer.echo(json.dumps({"planned": rows, "inserted": result.inserted, "dry_run": dry_run}, indent=2))
        else:
            for row in rows:
                typer.echo(
                    f"{row['due_at']}  person {row['person_id']:>6}  {row['period']}  {row['lesson_id']}{'  (review)' if row['is_review'] else ''}"
                )
            typer.echo(f"{len(rows)} due, {result.inserted} written{' (dry run)' if dry_run else ''}", err=True)

    @app.command()
    def dispatch(once: Annotated[bool, typer.Option("--once", help="Send what is due now, then exit")] = False) -> None:
        """Send due deliveries from the outbox (loops every 30 s unless --once)."""
        service = open_service()

        async def run() -> None:
            from bot.core.clock import utcnow

            try:
                while True:
                    stats = await dispatch_due(service, utcnow)
                    typer.echo(f"sent {stats.sent}, retry {stats.retried}, failed {stats.failed}, cancelled {stats.cancelled}")
                    if once:
                        return
                    await asyncio.sleep(30)
            finally:
                await service.close()

        asyncio.run(run())

    @app.command()
    def status(as_json: Annotated[bool, typer.Option("--json", help="JSON output")] = False) -> None:
        """How email delivery is going: last accepted message, failures since, what is waiting (exit 1 if failing)."""
        service = open_service()
        now = utcnow()
        with Session(service.engine) as session:
            health = relay_health(session, now=now)
        report = health.as_dict(now, with_error=True)
        if as_json:
            typer.echo(json.dumps(report, indent=2))
        else:
            typer.echo(f"email delivery: {report['state']}")
            typer.echo(f"  last message accepted: {report['last_success'] or 'never'}")
            typer.echo(
                f"  failed attempts since: {report['consecutive_failures']}"
                + (f" (last: {report['last_error']})" if report["last_error"] else "")
            )
            typer.echo(
                f"  waiting to go out:     {report['waiting']}"
                + (f", the oldest due {report['oldest_due']}" if report["oldest_due"] else "")
            )
        service.engine.dispose()
        if report["state"] == "failing":
            raise typer.Exit(1)

    @app.command()
    def replies(as_json: Annotated[bool, typer.Option("--json", help="JSON output")] = False) -> None:
        """List recorded replies (for admins; leads see only aggregate statistics)."""
        from sqlmodel import Session

        service = open_service()
        with Session(service.engine) as session:
            rows = [
                {
                    "delivery_id": r.delivery_id,
                    "lesson_id": r.lesson_id,
                    "lesson_version": r.lesson_version,
                    "check_answer": r.check_answer,
                    "check_correct": r.check_correct,
                    "practice": r.practice,
                    "has_reflection": bool(r.reflection),
                    "updated_at": r.updated_at.isoformat(),
                }
                for r in session.exec(select(Reply).order_by(col(Reply.id)))
            ]
        if as_json:
            typer.echo(json.dumps(rows, indent=2))
            return
        for r in rows:
            typer.echo(
                f"delivery {r['delivery_id']:>6}  {r['lesson_id']:40} check={r['check_answer']} ({'right' if r['check_correct'] else 'wrong' if r['check_correct'] is False else '-'})  practice={r['practice']}"
            )
        typer.echo(f"{len(rows)} replies", err=True)

    @app.command()
    def serve(
        host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
        port: Annotated[int, typer.Option(help="Port")] = 8000,
        demo: Annotated[bool, typer.Option("--demo", help="Seed the demo roster and send the first nudges now")] = False,
        workers: Annotated[
            int | None, typer.Option(min=1, max=32, help="Web processes (default: LESSONLOOP_WEB_WORKERS, or 1)")
        ] = None,
    ) -> None:
        """Run the web app with the scheduler ticking planning and dispatch."""
        from bot.core.settings import Settings

        import uvicorn

        from bot.jobs.runner import JobsProcess
        from bot.web.access_log import uvicorn_log_config
        from bot.web.app import create_app
        from bot.web.workers import settle_web_process

        if port_in_use(host, port):
            typer.echo(
                f"error: port {port} on {host} is already in use (another LessonLoop?); choose another with --port", err=True
            )
            raise typer.Exit(1)
        base_url = f"http://{host}:{port}"
        if demo:
            written = write_demo_env(DEMO_ENV, base_url, os.environ)
            if written:
                typer.echo(
                    f"demo: wrote {', '.join(written)} to {DEMO_ENV.resolve()}; the other lessonloop commands "
                    "run in this folder use them (delete it, or set your own values, for real use)"
                )
        if demo:
            os.environ.update(LESSONLOOP_ENV="demo", LESSONLOOP_BASE_URL=base_url)  # also what web workers read
        if workers is not None:
            os.environ["LESSONLOOP_WEB_WORKERS"] = str(workers)
        settings = Settings()
        service = open_service(settings)
        if demo:
            asyncio.run(_seed_demo(service, settings))

        @asynccontextmanager
        async def lifespan(_app):
            jobs = JobsProcess(build_service, settings)
            jobs.start()
            yield
            await asyncio.to_thread(jobs.stop)
            await service.close()

        typer.echo(f"LessonLoop on {base_url} (health: /healthz)")
        if settings.web_workers > 1:
            _serve_workers(service, settings, host, port)
            return
        web_app = create_app(service, lifespan)
        settle_web_process()
        uvicorn.run(web_app, host=host, port=port, log_level="info", log_config=uvicorn_log_config())

    def _serve_workers(service, settings, host: str, port: int) -> None:
        """Several web processes on one socket (uvicorn's supervisor restarts any that dies), beside one jobs
        process. Each web process builds its own service from the environment (bot.web.workers)."""
        import uvicorn

        from bot.jobs.runner import JobsProcess
        from bot.web.access_log import uvicorn_log_config

        asyncio.run(service.close())  # the parent only checked settings and migrated; workers open their own
        service.engine.dispose()
        jobs = JobsProcess(build_service, settings)
        jobs.start()
        try:
            uvicorn.run(
                "bot.web.workers:app_from_environment",
                factory=True,
                workers=settings.web_workers,
                host=host,
                port=port,
                log_level="info",
                log_config=uvicorn_log_config(),
            )
        finally:
            jobs.stop()

    @app.command("db-upgrade")
    def db_upgrade() -> None:
        """Create or upgrade the database schema."""
        from bot.core.db import upgrade
        from bot.core.settings import Settings

        upgrade(Settings().sqlalchemy_url())
        typer.echo("database is up to date")


async def _seed_demo(service, settings: Settings) -> None:
    from bot.core.clock import utcnow
    from bot.jobs.dispatcher import dispatch_due
    from bot.jobs.planning import run_planning

    created, updated = import_roster_file(settings, DEMO_ROSTER)
    from bot.cli.voice_demo import seed_voice_demo

    if seed_voice_demo(service):  # issue 17: a proposal, a practice moment and a note that goes with the first nudges
        typer.echo("demo: a lesson proposal (/dashboard/proposals), a practice moment and a 'you said, we did' note")
    result = run_planning(service, utcnow(), immediate=True)
    stats = await dispatch_due(service, utcnow)
    where = settings.smtp_url or f"{settings.mail_dir.resolve()}/ (one .eml file per nudge)"
    typer.echo(f"demo: {created + updated} people from {DEMO_ROSTER.name}; {result.inserted} nudges planned, {stats.sent} sent")
    typer.echo(f"demo: open the mail in {where}; its links come back to this server")
    demo = seed_loop_demo(service, utcnow())  # issue 13: a follow-up and a learning record to look at
    if demo is not None:
        await dispatch_due(service, utcnow)
        typer.echo(
            f'demo: a follow-up ("did you try it?") went to {demo.person_name} as if four weeks had passed: '
            f"delivery-{demo.followup_id}.eml"
        )
        typer.echo(f"demo: {demo.person_name}'s learning record: {demo.record_url}")
    impact = seed_impact_demo(service, utcnow())  # issue 17: an impact question three months on, and one answer
    if impact is not None:
        await dispatch_due(service, utcnow)
        typer.echo(
            f'demo: an impact question ("Has it made a difference?") went to {impact.person_name} as if three months '
            f"had passed: delivery-{impact.question_id}.eml; {impact.answered_by} answered one last month (on their record)"
        )
        typer.echo(
            "demo: the impact table on /dashboard/loop "
            + (
                "counts them"
                if impact.shown
                else f"shows them as hidden: fewer than LESSONLOOP_MIN_CELL ({settings.min_cell}) people have been asked"
            )
        )
