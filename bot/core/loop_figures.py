"""The closing-the-loop figures (issue 13) and impact figures (issue 17) as every view asks for them (CLI,
dashboard, digest, evidence): queried, labelled and published in one place, as sums of the same safe
pieces as every statistic (digests/disclosure.py `published_pieces_of`)."""

from collections.abc import Callable
from dataclasses import replace
from functools import cache

from sqlmodel import Session

from bot.core.clock import utcnow
from schedules.windows import month_label, previous_month

from bot.core.service import Service
from bot.core.stats import BadDimension, aligned, labels_for, theme_map
from digests.barriers import BarrierTheme, group_barriers
from digests.disclosure import OTHER, groups_of, label_of, published_pieces_of, total_of
from digests.loop_tables import LoopTable, build_impact_table, build_loop_table
from schedules.impact_stats import IMPACT_DIMENSIONS, IMPACT_MEASURES, impact_pieces, impact_rows, quarter_of_month
from schedules.loop_stats import LOOP_MEASURES, followup_barrier_samples, loop_pieces
from schedules.statistics import DIMENSIONS, Filter, GroupCounts, Piece

SPLITS = ("role", "theme", "lesson", "months")  # dimensions that split a team's week (or month) into pieces


def _published(
    source: Callable[[str], list[Piece]],
    *,
    by: str,
    lesson_ids: tuple[str, ...] | None,
    themes: dict[str, str],
    min_cell: int,
    measure: str,
    measures: tuple[str, ...],
    label: Callable[[Piece], str],
) -> tuple[list[GroupCounts], GroupCounts]:
    """Rows and total, added up from safe pieces only. A choice of lessons picks whole lesson pieces (the
    pieces themselves are cut from every lesson, so choosing lessons cannot move a piece's edges)."""
    source = cache(source)
    dim = "lesson" if lesson_ids is not None else (by if by in SPLITS else "base")
    parts = published_pieces_of(source, dim, theme_of=themes, min_cell=min_cell, measure=measure)
    if lesson_ids is not None:
        parts = [p for p in parts if p.key in lesson_ids]
        return groups_of(parts, label), total_of(parts, measures)
    whole = parts if dim == "base" else published_pieces_of(source, "base", theme_of=themes, min_cell=min_cell)
    return groups_of(parts, label), total_of(whole, measures)


def loop_table(service: Service, session: Session, *, by: str, where: Filter) -> LoopTable:
    """By theme, role, team, agency or week; or by "lesson" (one row per lesson, for evidence)."""
    if by not in DIMENSIONS and by != "lesson":
        raise BadDimension(f"--by must be one of {', '.join(DIMENSIONS)}, not '{by}'")
    where = aligned(where)  # whole months, as every other figure
    themes, k = theme_map(service), service.settings.min_cell
    groups, total = _published(
        lambda d: loop_pieces(session, dim=d, where=replace(where, lesson_ids=None), theme_of=themes),
        by=by,
        lesson_ids=where.lesson_ids,
        themes=themes,
        min_cell=k,
        measure="delivered",
        measures=LOOP_MEASURES,
        label=label_of(by),
    )
    labels = labels_for(by, k)
    if by == "lesson":
        labels |= {i: lesson.title for i, lesson in service.lessons.items()}
    return build_loop_table(by, groups, total, min_cell=k, labels=labels)


def followup_barriers(service: Service, session: Session, *, where: Filter) -> list[BarrierTheme]:
    """What got in the way of trying the thing, by theme, over the last complete month (a fixed period no
    `from`/`to` can move), excerpts only where at least min_cell people wrote one: the same rule as the
    reflections' barriers (bot.core.stats.barriers, digests.barriers); counts from safe theme pieces."""
    themes, k = theme_map(service), service.settings.min_cell
    start, end = previous_month(utcnow().date())
    period = Filter(start, end, team_id=where.team_id, agency=where.agency)
    parts = published_pieces_of(
        lambda d: loop_pieces(session, dim=d, where=period, theme_of=themes), "theme", theme_of=themes, min_cell=k
    )
    groups = groups_of(parts, label_of("theme"))
    counts = {g.key: (g.counts["barriers"], g.keys.get("barriers", 0)) for g in groups if g.key != OTHER}
    samples = followup_barrier_samples(session, where=period, theme_of=themes)
    return group_barriers(counts, samples, labels=labels_for("theme"), min_cell=k, period=month_label(start))


def impact_table(service: Service, session: Session, *, by: str, where: Filter) -> LoopTable:
    """Impact at 3, 6 and 12 months (issue 17) by theme, role, team, agency, month asked ("week") or interval
    ("months"); "lesson" (one row per lesson) and "evidence" (quarter|agency) for the evidence exports.
    Pieces are team-months (the month a question was asked)."""
    if by not in IMPACT_DIMENSIONS and by not in ("lesson", "evidence"):
        raise BadDimension(f"--by must be one of {', '.join(IMPACT_DIMENSIONS)}, not '{by}'")
    where = aligned(where)
    rows = impact_rows(session, where=replace(where, lesson_ids=None))
    themes, k = theme_map(service), service.settings.min_cell
    label = label_of(by) if by != "evidence" else (lambda p: f"{quarter_of_month(p.week)}|{p.agency}")
    groups, total = _published(
        lambda d: impact_pieces(rows, dim=d, theme_of=themes),
        by=by,
        lesson_ids=where.lesson_ids,
        themes=themes,
        min_cell=k,
        measure="asked",
        measures=IMPACT_MEASURES,
        label=label,
    )
    labels = labels_for(by, k)
    if by == "lesson":
        labels |= {i: lesson.title for i, lesson in service.lessons.items()}
    elif by == "months":
        labels |= {g.key: f"{int(g.key)} months" for g in groups if g.key != OTHER}
    return build_impact_table(by, groups, total, min_cell=k, labels=labels)
