"""Practice-moment figures as every view asks for them (dashboard, CLI): queried in the viewer's scope,
labelled and published as sums of safe team-month pieces (digests.disclosure, digests.moment_figures)."""

from dataclasses import replace

from sqlmodel import Session

from bot.core.service import Service
from bot.core.stats import aligned
from digests.disclosure import OTHER, groups_of, label_of, published_pieces_of, total_of
from digests.moment_figures import MomentTable, moment_table
from lesson_bank.taxonomy import load_taxonomy
from schedules.moments import OUTCOMES, moment_pieces, moment_rows, moment_samples
from schedules.slots import week_key
from schedules.statistics import Filter, Piece

MOMENT_DIMENSIONS = ("factor", "theme", "outcome", "period")


def _with_writers(parts: list[Piece]) -> list[Piece]:
    """A piece's writers as a figure of its own ("people"), added up like the moments."""
    return [replace(p, counts={**p.counts, "people": p.people}) for p in parts]


def moments(service: Service, session: Session, *, by: str, where: Filter) -> MomentTable:
    if by not in MOMENT_DIMENSIONS:
        raise ValueError(f"--by must be one of {', '.join(MOMENT_DIMENSIONS)}, not '{by}'")
    taxonomy, k = load_taxonomy(), service.settings.min_cell
    where = aligned(where)  # whole months: pieces are team-months
    rows = moment_rows(
        session,
        agency=where.agency,
        team_id=where.team_id,
        start=week_key(where.start) if where.start else None,
        end=week_key(where.end) if where.end else None,
    )
    dim = by if by != "period" else "base"
    parts = _with_writers(published_pieces_of(lambda d: moment_pieces(rows, dim=d), dim, theme_of={}, min_cell=k))
    whole = _with_writers(published_pieces_of(lambda d: moment_pieces(rows, dim=d), "base", theme_of={}, min_cell=k))
    groups = groups_of(parts, label_of("week" if by == "period" else by))
    labels: dict[str, str] = {
        "factor": {k: t.label for k, t in taxonomy.factors.items()} | {"none": "No factor given"},
        "theme": {k: t.label for k, t in taxonomy.themes.items()} | {"none": "No theme given"},
        "outcome": OUTCOMES,
    }.get(by, {}) | {OTHER: f"Other (fewer than {k} writers in a team's month)"}
    if by == "period":
        labels = {g.key: g.key for g in groups}
    return moment_table(
        by,
        groups,
        total_of(whole, ("moments", "people")),
        moment_samples(rows, dim=dim, named={(p.team_id, p.agency, p.week, p.key) for p in parts if p.key != OTHER})
        if dim != "base"
        else [],
        labels=labels,
        min_cell=k,
    )
