"""Statistics as every view asks for them (CLI, dashboard, digest, evidence): queried, labelled, suppressed."""
from dataclasses import dataclass

from sqlmodel import Session

from bot.agenda import theme_map
from bot.service import Service
from digests.barriers import BarrierTheme, group_barriers
from digests.statistics import StatsTable, build_table
from lesson_bank.taxonomy import load_taxonomy
from schedules.statistics import DIMENSIONS, Filter, agenda_discussed, grouped, overall, reflections


class BadDimension(ValueError):
    pass


def labels_for(by: str) -> dict[str, str]:
    taxonomy = load_taxonomy()
    if by == "theme":
        return {t: taxonomy.theme_label(t) for t in taxonomy.themes}
    if by == "role":
        return {r: taxonomy.role_label(r) for r in taxonomy.roles}
    return {}


def stats_table(service: Service, session: Session, *, by: str, where: Filter) -> StatsTable:
    if by not in DIMENSIONS:
        raise BadDimension(f"--by must be one of {', '.join(DIMENSIONS)}, not '{by}'")
    themes = theme_map(service)
    groups = grouped(session, by=by, where=where, theme_of=themes)
    discussed = agenda_discussed(session, by=by, where=where, theme_of=themes) if by != "role" else None
    if discussed is not None:
        discussed["total"] = sum(discussed.values())
    return build_table(by, groups, overall(session, where=where), min_cell=service.settings.min_cell,
                       labels=labels_for(by), discussed=discussed)


def barriers(service: Service, session: Session, *, where: Filter) -> list[BarrierTheme]:
    texts = reflections(session, where=where, theme_of=theme_map(service))
    return group_barriers(texts, labels=labels_for("theme"), min_cell=service.settings.min_cell)


@dataclass(frozen=True)
class Overview:
    """What the dashboard and the digest show: the headline, the trend and the three breakdowns."""

    week: StatsTable
    theme: StatsTable
    role: StatsTable
    barriers: list[BarrierTheme]


def overview(service: Service, session: Session, *, where: Filter) -> Overview:
    tables = {by: stats_table(service, session, by=by, where=where) for by in ("week", "theme", "role")}
    return Overview(tables["week"], tables["theme"], tables["role"], barriers(service, session, where=where))
