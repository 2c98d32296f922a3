"""`lessonloop team set | agenda | stats | export evidence | digest send`: agenda items and statistics."""

import json
from typing import Annotated, Optional

import typer

from bot.cli.options import AsCsv, AsJson, chosen_lessons, fail, figures

from sqlmodel import Session

from bot.core.agenda import current_agenda
from bot.core.clock import utcnow
from bot.core.stats import evidence_table, fresh, stats_table, theme_map
from digests.agenda_render import FORMATS, agenda_text
from digests.disclosure import PLAIN_WORDS
from digests.evidence import evidence_csv
from digests.statistics import as_csv, as_dict
from schedules.models import Team
from schedules.slots import week_key
from schedules.statistics import Filter, agenda_evidence
from schedules.team_settings import TeamChange, TeamSettingError, update_team

team_app = typer.Typer(help="Team meeting settings.", no_args_is_help=True)
export_app = typer.Typer(help="Exports.", no_args_is_help=True)


def _service():
    from bot.cli.ops import open_service

    return open_service()


@team_app.command("set")
def team_set(
    team: Annotated[str, typer.Argument(help="Team name, as in the roster")],
    meeting_day: Annotated[Optional[str], typer.Option(help="Day of the team meeting (default Wednesday)")] = None,
    meeting_time: Annotated[Optional[str], typer.Option(help="HH:MM local (default 10:00)")] = None,
    webhook: Annotated[Optional[str], typer.Option(help="Team channel webhook URL")] = None,
    lead: Annotated[Optional[str], typer.Option(help="Email of the team lead (access team_lead)")] = None,
) -> None:
    """Set a team's meeting day and time, channel webhook and lead."""
    from sqlmodel import Session

    service = _service()
    with Session(service.engine) as session:
        try:
            saved = update_team(session, name=team, change=TeamChange(meeting_day, meeting_time, webhook, lead))
        except TeamSettingError as exc:
            fail(str(exc))
        session.commit()
        days = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
        typer.echo(
            f"{saved.name}: meets {days[saved.meeting_day]} {saved.meeting_time}; lead {'set' if saved.lead_person_id else 'not set'}"
        )


def agenda(
    team: Annotated[str, typer.Option("--team", help="Team name")],
    week: Annotated[Optional[str], typer.Option(help="ISO week, e.g. 2026-W48 (default this week)")] = None,
    fmt: Annotated[str, typer.Option("--format", help="md, html or txt")] = "md",
) -> None:
    """Print a team's agenda item for a week."""
    from sqlmodel import Session, select

    if fmt not in FORMATS:
        fail(f"--format must be one of {', '.join(FORMATS)}, not '{fmt}'")
    from bot.web.agenda_pages import WEEK

    week = week or week_key(utcnow().date())
    if not WEEK.match(week):
        fail(f"--week '{week}' must be an ISO week such as 2026-W48")
    service = _service()
    with Session(service.engine) as session:
        found = session.exec(select(Team).where(Team.name == team)).first()
        if found is None:
            fail(f"--team: no team named '{team}'")
        assert found.id is not None  # a stored team
        item = current_agenda(service, session, team_id=found.id, week=week)
        if item is None:
            fail("no lesson is available for an agenda item")
        typer.echo(agenda_text(item, fmt), nl=False)


def stats(
    start: Annotated[Optional[str], typer.Option("--from", help="First send date (YYYY-MM-DD)")] = None,
    end: Annotated[Optional[str], typer.Option("--to", help="Last send date (YYYY-MM-DD)")] = None,
    by: Annotated[str, typer.Option(help="theme, role, team, agency or week")] = "week",
    as_json: AsJson = False,
    as_csv_out: AsCsv = False,
    loop: Annotated[bool, typer.Option("--loop", help="Reminders, commitments, follow-ups and barriers instead")] = False,
    impact: Annotated[
        bool, typer.Option("--impact", help="Impact at 3, 6 and 12 months instead (--by also takes months)")
    ] = False,
) -> None:
    """Anonymous statistics; small numbers are suppressed."""
    from digests.statistics import as_dict

    if loop or impact:  # issues 13 and 17: the same tables as `lessonloop loop stats` and `lessonloop loop impact`
        from bot.cli.loop import print_table
        from bot.core.loop_figures import impact_table, loop_table
        from digests.loop_tables import impact_text

        loop_rows = figures(impact_table if impact else loop_table, by=by, start=start, end=end)
        print_table(loop_rows, as_json=as_json, as_csv_out=as_csv_out, text=impact_text if impact else None)
        return
    table = figures(stats_table, by=by, start=start, end=end)
    if as_csv_out:
        typer.echo(as_csv(table), nl=False)
    elif as_json:
        typer.echo(json.dumps(as_dict(table), indent=2))
    else:
        typer.echo(format_table(table))


def format_table(table) -> str:

    data = as_dict(table)
    head = (
        f"{'':34} {'sent':>7} {'replied':>8} {'reply%':>7} {'right%':>7} {'changed':>8} {'already':>8} {'not yet':>8} {'n/a':>6}"
    )
    lines = [head]
    for row in [*data["rows"], data["total"]]:
        pct = lambda v: v if isinstance(v, str) else f"{v * 100:.0f}"  # noqa: E731
        short = lambda v: "s" if v == "suppressed" else v  # noqa: E731
        lines.append(
            f"{row['label'][:34]:34} {short(row['delivered']):>7} {short(row['replied']):>8} {short(pct(row['reply_rate'])):>7} "
            f"{short(pct(row['check_accuracy'])):>7} {short(row['changed']):>8} {short(row['already']):>8} "
            f"{short(row['not_yet']):>8} {short(row['not_relevant']):>6}"
        )
    lines.append(f"s = suppressed. {PLAIN_WORDS.format(k=table.min_cell)}")
    if data.get("fatigue_points") is not None:
        lines.append(f"reply rate, last 4 weeks vs first 4: {data['fatigue_points']:+.1f} points")
    return "\n".join(lines)


@export_app.command("evidence")
def export_evidence(
    lesson: Annotated[Optional[str], typer.Option(help="Lesson id")] = None,
    theme: Annotated[Optional[str], typer.Option(help="Theme id")] = None,
) -> None:
    """CSV by quarter and agency: how a lesson (or a theme's lessons) reached people, what came back, agenda items."""
    service = _service()
    ids = chosen_lessons(theme_map(service), lesson, theme)
    with Session(service.engine) as session:
        fresh(service, session)
        table = evidence_table(service, session, lesson=lesson, theme=theme)
        subject = f"lesson {lesson}" if lesson else f"theme {theme}"
        from bot.core.loop_figures import impact_table  # issue 17: what people said months later

        impact = impact_table(service, session, by="evidence", where=Filter(lesson_ids=ids))
        typer.echo(evidence_csv(table, agenda_evidence(session, lesson_ids=ids), subject=subject, impact=impact), nl=False)


def weekly(at: Annotated[Optional[str], typer.Option(help="As if it were this time (ISO-8601; default now)")] = None) -> None:
    """Send the agenda items and lead digests that are due (the scheduler does this every minute)."""
    import asyncio

    from bot.cli.ops import _parse_at
    from bot.jobs.weekly import send_weekly

    service = _service()
    agendas, digests = asyncio.run(send_weekly(service, _parse_at(at)))
    typer.echo(f"sent {agendas} agenda items, {digests} lead digests")


def register(app: typer.Typer) -> None:
    app.command("weekly")(weekly)
    app.add_typer(team_app, name="team")
    app.add_typer(export_app, name="export")
    app.command("agenda")(agenda)
    app.command("stats")(stats)
