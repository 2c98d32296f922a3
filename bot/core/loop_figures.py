"""The closing-the-loop figures (issue 13) and impact figures (issue 17) as every view asks for them (CLI,
dashboard, digest, evidence): queried, labelled and suppressed in one place."""

from sqlmodel import Session

from bot.core.clock import utcnow
from schedules.windows import month_label, previous_month

from bot.core.service import Service
from bot.core.stats import BadDimension, aligned, labels_for, theme_map
from digests.barriers import BarrierTheme, group_barriers
from digests.loop_tables import LoopTable, build_impact_table, build_loop_table
from schedules.impact_stats import IMPACT_DIMENSIONS, group_impact, impact_rows, key_of
from schedules.loop_stats import followup_barrier_samples, loop_groups
from schedules.statistics import DIMENSIONS, Filter


def loop_table(service: Service, session: Session, *, by: str, where: Filter) -> LoopTable:
    """By theme, role, team, agency or week; or by "lesson" (one row per lesson, for evidence)."""
    if by not in DIMENSIONS and by != "lesson":
        raise BadDimension(f"--by must be one of {', '.join(DIMENSIONS)}, not '{by}'")
    where = aligned(where)  # whole months, as every other figure
    if by == "lesson":  # the theme dimension with no theme map groups by lesson id
        groups, total = loop_groups(session, by="theme", where=where, theme_of={})
        return build_loop_table(
            "lesson",
            groups,
            total,
            min_cell=service.settings.min_cell,
            labels={i: lesson.title for i, lesson in service.lessons.items()},
        )
    groups, total = loop_groups(session, by=by, where=where, theme_of=theme_map(service))
    return build_loop_table(by, groups, total, min_cell=service.settings.min_cell, labels=labels_for(by))


def followup_barriers(service: Service, session: Session, *, where: Filter) -> list[BarrierTheme]:
    """What got in the way of trying the thing, by theme, over the last complete month (a fixed period no
    `from`/`to` can move), excerpts only where at least min_cell people wrote one: the same rule as the
    reflections' barriers (bot.core.stats.barriers, digests.barriers)."""
    themes = theme_map(service)
    start, end = previous_month(utcnow().date())
    period = Filter(start, end, team_id=where.team_id, agency=where.agency)
    groups, _ = loop_groups(session, by="theme", where=period, theme_of=themes)
    counts = {g.key: (g.counts["barriers"], g.keys.get("barriers", 0)) for g in groups}
    samples = followup_barrier_samples(session, where=period, theme_of=themes)
    return group_barriers(
        counts, samples, labels=labels_for("theme"), min_cell=service.settings.min_cell, period=month_label(start)
    )


def impact_table(service: Service, session: Session, *, by: str, where: Filter) -> LoopTable:
    """Impact at 3, 6 and 12 months (issue 17) by theme, role, team, agency, month asked ("week") or interval
    ("months"); "lesson" (one row per lesson) and "evidence" (quarter|agency) for the evidence exports."""
    if by not in IMPACT_DIMENSIONS and by not in ("lesson", "evidence"):
        raise BadDimension(f"--by must be one of {', '.join(IMPACT_DIMENSIONS)}, not '{by}'")
    rows = impact_rows(session, where=aligned(where))
    if by == "lesson":
        groups, total = group_impact(rows, key_of("theme", {}))
        labels = {i: lesson.title for i, lesson in service.lessons.items()}
    else:
        groups, total = group_impact(rows, key_of(by, theme_map(service)))
        labels = {g.key: f"{int(g.key)} months" for g in groups} if by == "months" else labels_for(by)
    return build_impact_table(by, groups, total, min_cell=service.settings.min_cell, labels=labels)
