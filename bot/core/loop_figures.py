"""The closing-the-loop figures (issue 13) as every view asks for them (CLI, dashboard, digest, evidence):
queried, labelled and suppressed in one place."""
from sqlmodel import Session

from bot.core.service import Service
from bot.core.stats import BadDimension, aligned, labels_for, theme_map
from digests.barriers import BarrierTheme, group_barriers
from digests.loop_tables import LoopTable, build_loop_table
from schedules.loop_stats import followup_barrier_samples, loop_groups
from schedules.statistics import DIMENSIONS, Filter


def loop_table(service: Service, session: Session, *, by: str, where: Filter) -> LoopTable:
    """By theme, role, team, agency or week; or by "lesson" (one row per lesson, for evidence)."""
    if by not in DIMENSIONS and by != "lesson":
        raise BadDimension(f"--by must be one of {', '.join(DIMENSIONS)}, not '{by}'")
    where = aligned(where)  # whole months, as every other figure
    if by == "lesson":  # the theme dimension with no theme map groups by lesson id
        groups, total = loop_groups(session, by="theme", where=where, theme_of={})
        return build_loop_table("lesson", groups, total, min_cell=service.settings.min_cell,
                                labels={i: lesson.title for i, lesson in service.lessons.items()})
    groups, total = loop_groups(session, by=by, where=where, theme_of=theme_map(service))
    return build_loop_table(by, groups, total, min_cell=service.settings.min_cell, labels=labels_for(by))


def followup_barriers(service: Service, session: Session, *, where: Filter) -> list[BarrierTheme]:
    """What got in the way of trying the thing, by theme: counts from the suppressed table, excerpts only
    for themes with at least min_cell of them (digests.barriers, the same rule as reflections)."""
    themes = theme_map(service)
    where = aligned(where)  # whole months, as the loop table
    groups, _ = loop_groups(session, by="theme", where=where, theme_of=themes)
    counts = {g.key: (g.counts["barriers"], g.keys["barriers"]) for g in groups}  # raw: group_barriers publishes them
    samples = followup_barrier_samples(session, where=where, theme_of=themes)
    return group_barriers(counts, samples, labels=labels_for("theme"), min_cell=service.settings.min_cell)
