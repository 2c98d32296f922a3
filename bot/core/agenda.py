"""This week's agenda item for a team, as every channel asks for it (Slack command, Teams post, email, pages).

The item is chosen once per team and week and stored, so every pull shows the same one."""

from dataclasses import replace
from datetime import date, datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from bot.core.service import Service

from bot.core.clock import utcnow
from bot.core.stats import stats_table
from digests.agenda import AgendaItem, plain_agenda_item
from digests.theme_choice import Choice, ThemeFigures, choose_theme
from lesson_bank.taxonomy import load_taxonomy
from schedules.lesson_versions import lesson_as_sent, record_versions
from schedules.models import AgendaRecord, Person, PersonStatus, Team
from schedules.statistics import Filter


def _history(session: Session, team_id: int, week: str) -> tuple[list[str], set[str]]:
    rows = session.exec(
        select(AgendaRecord.theme_id, AgendaRecord.lesson_id)
        .where(AgendaRecord.team_id == team_id, col(AgendaRecord.week) < week)
        .order_by(col(AgendaRecord.week).desc())
    ).all()
    return [theme for theme, _ in rows], {lesson for _, lesson in rows}


def published_theme_figures(service: Service, session: Session, team_id: int) -> dict[str, ThemeFigures]:
    """The team's published figures by theme (rounded, pooled, exactly as its lead sees them), so the choice
    of theme tells the lead nothing the dashboard does not already show."""
    table = stats_table(service, session, by="theme", where=Filter(team_id=team_id))
    figures = {}
    for row in table.rows:
        c = row.counts
        if c["answered"] is not None and c["not_yet"] is not None and c["checked"] is not None and c["correct"] is not None:
            figures[row.key] = ThemeFigures(c["answered"], c["not_yet"], c["checked"], c["correct"])
    return figures


def _choose(service: Service, session: Session, team: Team, week: str) -> Choice | None:
    assert team.id is not None  # a stored team
    roles = set(session.exec(select(Person.role).where(Person.team_id == team.id, Person.status == PersonStatus.ACTIVE)))
    recent, used = _history(session, team.id, week)
    lessons = [l for l in service.lessons.values() if l.is_sendable(date.today())]
    return choose_theme(
        team_id=team.id,
        week=week,
        lessons=lessons,
        roles=roles,
        recent_themes=recent,
        used_lessons=used,
        figures=published_theme_figures(service, session, team.id),
        min_cell=service.settings.min_cell,
    )


def agenda_record(service: Service, session: Session, team: Team, week: str, *, store: bool = True) -> AgendaRecord | None:
    """The stored choice for this team and week, made now if there is none yet (two callers agree on one).
    With store=False (a page GET) nothing is written: a choice not yet stored is returned unsaved."""
    assert team.id is not None  # a stored team
    query = select(AgendaRecord).where(AgendaRecord.team_id == team.id, AgendaRecord.week == week)
    record = session.exec(query).first()
    if record is not None:
        return record
    choice = _choose(service, session, team, week)
    if choice is None:
        return None
    record = AgendaRecord(
        team_id=team.id,
        week=week,
        theme_id=choice.theme_id,
        lesson_id=choice.lesson.id,
        lesson_version=choice.lesson.version,
        created_at=utcnow(),
    )
    if not store:
        return record
    record_versions(session, lessons=[choice.lesson], now=utcnow())
    session.add(record)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        return session.exec(query).first()
    return record


def team_theme_figures(service: Service, session: Session, team_id: int, theme_id: str) -> dict[str, object]:
    """The team's own figures for the theme, suppressed like every statistic; empty when too few replies."""
    table = stats_table(service, session, by="theme", where=Filter(team_id=team_id))
    row = next((r for r in table.rows if r.key == theme_id), None)
    if row is None or row.counts["answered"] is None or row.counts["answered"] < service.settings.min_cell:
        return {}
    pct = {name: round(value * 100) for name, value in row.rates.items() if value is not None}
    return {"replies": row.counts["answered"], **pct}


def current_agenda(service: Service, session: Session, *, team_id: int, week: str, store: bool = True) -> AgendaItem | None:
    """The team's agenda item for an ISO week (e.g. 2026-W48), or None for an unknown team or an empty bank."""
    team = session.get(Team, team_id)
    if team is None:
        return None
    record = agenda_record(service, session, team, week, store=store)
    if record is None:
        return None
    lesson = lesson_as_sent(session, current=service.lessons, lesson_id=record.lesson_id, version=record.lesson_version)
    if lesson is None:
        return None
    label = load_taxonomy().theme_label(record.theme_id)
    item = plain_agenda_item(team_id=team_id, team_name=team.name, week=week, lesson=lesson.as_asked(False), theme_label=label)
    return replace(item, theme_id=record.theme_id, figures=team_theme_figures(service, session, team_id, record.theme_id))


def _agenda_purpose(week: str) -> str:
    # The week is part of what is signed: a link opens only the team and week it was made for.
    return f"agenda:{week}"


def agenda_link(service: Service, team_id: int, week: str, *, now: datetime | None = None) -> str:
    """The signed page where the lead reads the item and records the discussion (shared with Teams and Slack)."""
    token = service.signer.sign(_agenda_purpose(week), team_id, (now or utcnow()) + service.link_lifetime)
    return f"{service.settings.base_url.rstrip('/')}/a/{token}?week={week}"


def agenda_team(service: Service, token: str, week: str, now: datetime) -> int:
    """The team an agenda link is for, if it was signed for this week. Raises BadToken."""
    return service.signer.verify(_agenda_purpose(week), token, now).subject_id


def record_discussion(session: Session, record: AgendaRecord, *, discussed: bool, action: str | None) -> None:
    record.discussed_at = (record.discussed_at or utcnow()) if discussed else None
    if action is not None:
        record.action_agreed = action.strip()[:500] or None
    session.add(record)
    session.commit()
