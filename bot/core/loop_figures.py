"""The closing-the-loop figures (issue 13) as every view asks for them (CLI, dashboard, digest, evidence):
queried, labelled and suppressed in one place."""
from sqlmodel import Session

from bot.core.service import Service
from bot.core.stats import BadDimension, labels_for, theme_map
from digests.loop_tables import LoopTable, build_loop_table
from schedules.loop_stats import loop_groups
from schedules.statistics import DIMENSIONS, Filter


def loop_table(service: Service, session: Session, *, by: str, where: Filter) -> LoopTable:
    if by not in DIMENSIONS:
        raise BadDimension(f"--by must be one of {', '.join(DIMENSIONS)}, not '{by}'")
    groups, total = loop_groups(session, by=by, where=where, theme_of=theme_map(service))
    return build_loop_table(by, groups, total, min_cell=service.settings.min_cell, labels=labels_for(by))
