"""Statistics as every view asks for them (CLI, dashboard, digest, evidence): queried, labelled, suppressed."""

from dataclasses import dataclass, replace
from datetime import date, timedelta

from sqlmodel import Session

from bot.core.service import Service

from bot.core.clock import utcnow
from digests.barriers import BarrierTheme, group_barriers
from digests.disclosure import OTHER, groups_of, published_pieces_of, total_of
from digests.statistics import StatsTable, build_table
from lesson_bank.taxonomy import load_taxonomy
from schedules.rollup import refresh
from schedules.statistics import DIMENSIONS, Filter, GroupCounts, Piece, agenda_discussed, barrier_samples, pieces, safe_groups
from schedules.windows import align, month_label, previous_month, quarter_of


class BadDimension(ValueError):
    pass


def theme_map(service: Service) -> dict[str, str]:
    return {lesson_id: lesson.primary_theme for lesson_id, lesson in service.lessons.items()}


# The tick refreshes the rollup every minute. A page reads it as the tick left it when that was this recent:
# recomputing the weeks with recent replies on every view took a second at a million replies (PostgreSQL,
# bench/stats.py), and a week with replies in its last ten minutes is recomputed by every refresh.
PAGE_FRESH_FOR = timedelta(seconds=90)


def fresh(service: Service, session: Session) -> None:
    """Bring the rollup up to date before reading it, unless the tick did within PAGE_FRESH_FOR (so a page
    works it out only where no tick runs). The slow distinct-people recount is left to the tick
    (refresh_rollup), so a page never waits for it."""
    refresh(
        session,
        theme_of=theme_map(service),
        now=utcnow(),
        min_cell=service.settings.min_cell,
        recount_people=False,
        wait=False,
        recent=PAGE_FRESH_FOR,
    )


def refresh_rollup(service: Service, *, full: bool = False) -> list[str] | None:
    with Session(service.engine) as session:
        return refresh(session, theme_of=theme_map(service), now=utcnow(), min_cell=service.settings.min_cell, full=full)


OTHER_LABEL = "Other (fewer than {k} people in a team's week)"


def labels_for(by: str, min_cell: int = 5) -> dict[str, str]:
    taxonomy = load_taxonomy()
    other = {OTHER: OTHER_LABEL.format(k=min_cell)}
    if by == "theme":
        return {t: taxonomy.theme_label(t) for t in taxonomy.themes} | other
    if by == "role":
        return {r: taxonomy.role_label(r) for r in taxonomy.roles} | other
    return other if by == "lesson" else {}


def published_pieces(service: Service, session: Session, *, dim: str, where: Filter) -> list[Piece]:
    """The pieces every figure in this window and scope is added up from (digests/disclosure.py): dim
    "base", "role", "theme" or "lesson" (lessons only where a lesson is its theme's whole piece)."""
    themes = theme_map(service)
    return published_pieces_of(
        lambda d: pieces(session, dim=d, where=where, theme_of=themes), dim, theme_of=themes, min_cell=service.settings.min_cell
    )


def published_groups(
    service: Service, session: Session, *, by: str, where: Filter, total: GroupCounts | None = None
) -> tuple[list[GroupCounts], GroupCounts]:
    """The rows and the total of a table by `by`, before rounding: sums of safe pieces only. Lessons are
    pooled here (few rows, read from the deliveries); every other table in SQL (`safe_groups`), with
    `total` if given (`safe_total`, read once for the tables of one page)."""
    k = service.settings.min_cell
    if by == "lesson":
        parts = published_pieces(service, session, dim="lesson", where=where)
        return groups_of(parts, lambda p: p.key), total_of(published_pieces(service, session, dim="base", where=where))
    dim = by if by in ("role", "theme") else "base"
    rows = safe_groups(session, by="key" if dim != "base" else by, dim=dim, where=where, min_cell=k)
    return rows, total if total is not None else safe_total(service, session, where=where)


def safe_total(service: Service, session: Session, *, where: Filter) -> GroupCounts:
    """The total row of every table but the lessons' (the same for all of them in one window and scope)."""
    total = safe_groups(session, by="total", dim="base", where=where, min_cell=service.settings.min_cell)
    return total[0] if total else total_of([])


def aligned(where: Filter) -> Filter:
    """Every window anyone asks for, widened to whole months (schedules/windows.py)."""
    start, end = align(where.start, where.end)
    return replace(where, start=start, end=end)


def stats_table(
    service: Service, session: Session, *, by: str, where: Filter, refresh_first: bool = True, total: GroupCounts | None = None
) -> StatsTable:
    """The table by `by`; `total`: the window's total row already read for another table on the same page."""
    if by not in DIMENSIONS:
        raise BadDimension(f"--by must be one of {', '.join(DIMENSIONS)}, not '{by}'")
    where = aligned(where)
    themes = theme_map(service)
    if refresh_first:
        fresh(service, session)
    groups, total = published_groups(service, session, by=by, where=where, total=total)
    discussed = agenda_discussed(session, by=by, where=where, theme_of=themes) if by != "role" else None
    if discussed is not None:
        discussed["total"] = sum(discussed.values())
    return build_table(
        by,
        groups,
        total,
        min_cell=service.settings.min_cell,
        labels=labels_for(by, service.settings.min_cell),
        discussed=discussed,
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
    # Counts from the same safe pieces as every table: a theme's count is shown only where it has pieces
    # of its own (its excerpts still need min_cell distinct writers, counted apart from the count).
    theme_rows = safe_groups(session, by="key", dim="theme", where=period, min_cell=service.settings.min_cell)
    counts = {g.key: (g.counts.get("barriers", 0), g.keys.get("barriers", 0)) for g in theme_rows if g.key != OTHER}
    return group_barriers(
        counts,
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
    total: GroupCounts  # before rounding: for another table of the same page (stats_table's `total`)


def overview(service: Service, session: Session, *, where: Filter) -> Overview:
    """Everything the dashboard's first screen shows, after one refresh of the rollup; the total row, the same
    in every table, read once."""
    fresh(service, session)
    total = safe_total(service, session, where=aligned(where))
    tables = {
        by: stats_table(service, session, by=by, where=where, refresh_first=False, total=total)
        for by in ("week", "theme", "role")
    }
    found = barriers(service, session, where=where, refresh_first=False)
    return Overview(tables["week"], tables["theme"], tables["role"], found, total)


def evidence_table(service: Service, session: Session, *, lesson: str | None, theme: str | None) -> StatsTable:
    """One lesson's or one theme's figures per calendar quarter and agency (key "2026-Q4|Agency"), from
    the same safe pieces as every table: a lesson only where it was its theme's whole piece."""
    dim, wanted = ("lesson", lesson) if lesson else ("theme", theme)
    parts = [p for p in published_pieces(service, session, dim=dim, where=Filter()) if p.key == wanted]
    groups = groups_of(parts, lambda p: f"{quarter_of(p.week)}|{p.agency}")
    return build_table("evidence", groups, total_of(parts), min_cell=service.settings.min_cell)
