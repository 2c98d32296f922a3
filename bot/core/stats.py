"""Statistics as every view asks for them (CLI, dashboard, digest, evidence): queried, labelled, suppressed."""

from dataclasses import dataclass, replace
from datetime import date

from sqlmodel import Session

from bot.core.service import Service

from bot.core.clock import utcnow
from digests.barriers import BarrierTheme, group_barriers
from digests.statistics import StatsTable, build_table
from lesson_bank.taxonomy import load_taxonomy
from schedules.rollup import refresh
from schedules.statistics import DIMENSIONS, Filter, agenda_discussed, barrier_counts, barrier_samples, grouped, overall
from schedules.windows import align, month_label, previous_month


class BadDimension(ValueError):
    pass


def theme_map(service: Service) -> dict[str, str]:
    return {lesson_id: lesson.primary_theme for lesson_id, lesson in service.lessons.items()}


def fresh(service: Service, session: Session) -> None:
    """Bring the rollup up to date before reading it: cheap when nothing changed. The slow distinct-people
    recount is left to the tick (refresh_rollup), so a page never waits for it."""
    refresh(session, theme_of=theme_map(service), now=utcnow(), recount_people=False)


def refresh_rollup(service: Service, *, full: bool = False) -> list[str] | None:
    with Session(service.engine) as session:
        return refresh(session, theme_of=theme_map(service), now=utcnow(), full=full)


def labels_for(by: str) -> dict[str, str]:
    taxonomy = load_taxonomy()
    if by == "theme":
        return {t: taxonomy.theme_label(t) for t in taxonomy.themes}
    if by == "role":
        return {r: taxonomy.role_label(r) for r in taxonomy.roles}
    return {}


def aligned(where: Filter) -> Filter:
    """Every window anyone asks for, widened to whole months (schedules/windows.py)."""
    start, end = align(where.start, where.end)
    return replace(where, start=start, end=end)


def stats_table(service: Service, session: Session, *, by: str, where: Filter, refresh_first: bool = True) -> StatsTable:
    if by not in DIMENSIONS:
        raise BadDimension(f"--by must be one of {', '.join(DIMENSIONS)}, not '{by}'")
    where = aligned(where)
    themes = theme_map(service)
    if refresh_first:
        fresh(service, session)
    groups = grouped(session, by=by, where=where, theme_of=themes)
    discussed = agenda_discussed(session, by=by, where=where, theme_of=themes) if by != "role" else None
    if discussed is not None:
        discussed["total"] = sum(discussed.values())
    return build_table(
        by, groups, overall(session, where=where), min_cell=service.settings.min_cell, labels=labels_for(by), discussed=discussed
    )


def barriers(
    service: Service, session: Session, *, where: Filter, refresh_first: bool = True, today: date | None = None
) -> list[BarrierTheme]:
    """What got in the way, in the viewer's scope, over the last complete month: a fixed period that no
    `from`/`to` can move, so nobody can choose a slice that isolates one writer."""
    if refresh_first:
        fresh(service, session)
    start, end = previous_month(today or utcnow().date())
    period = Filter(start, end, team_id=where.team_id, agency=where.agency)
    themes = theme_map(service)
    samples = barrier_samples(session, where=period, theme_of=themes)
    return group_barriers(
        barrier_counts(session, where=period, theme_of=themes),
        samples,
        labels=labels_for("theme"),
        min_cell=service.settings.min_cell,
        period=month_label(start),
    )


@dataclass(frozen=True)
class Overview:
    """What the dashboard and the digest show: the headline, the trend and the three breakdowns."""

    week: StatsTable
    theme: StatsTable
    role: StatsTable
    barriers: list[BarrierTheme]


def overview(service: Service, session: Session, *, where: Filter) -> Overview:
    """Everything the dashboard's first screen shows, after one refresh of the rollup."""
    fresh(service, session)
    tables = {by: stats_table(service, session, by=by, where=where, refresh_first=False) for by in ("week", "theme", "role")}
    return Overview(tables["week"], tables["theme"], tables["role"], barriers(service, session, where=where, refresh_first=False))
