"""Practice-moment figures as every view asks for them (dashboard, CLI): queried in the viewer's scope,
labelled and suppressed (digests.moment_figures)."""

from sqlmodel import Session

from bot.core.service import Service
from digests.moment_figures import MomentTable, moment_table
from lesson_bank.taxonomy import load_taxonomy
from schedules.moments import OUTCOMES, count_by, moment_rows, record_key
from schedules.slots import week_key
from schedules.statistics import Filter

MOMENT_DIMENSIONS = ("factor", "theme", "outcome", "period")


def moments(service: Service, session: Session, *, by: str, where: Filter) -> MomentTable:
    if by not in MOMENT_DIMENSIONS:
        raise ValueError(f"--by must be one of {', '.join(MOMENT_DIMENSIONS)}, not '{by}'")
    taxonomy = load_taxonomy()
    rows = moment_rows(
        session,
        agency=where.agency,
        team_id=where.team_id,
        start=week_key(where.start) if where.start else None,
        end=week_key(where.end) if where.end else None,
    )
    counts = count_by(rows, by)
    labels: dict[str, str] = {
        "factor": {k: t.label for k, t in taxonomy.factors.items()},
        "theme": {k: t.label for k, t in taxonomy.themes.items()} | {"none": "No theme given"},
        "outcome": OUTCOMES,
    }.get(by, {})
    keys = list(taxonomy.factors) if by == "factor" else list(OUTCOMES) if by == "outcome" else None
    return moment_table(
        by,
        counts,
        total_moments=len(rows),
        total_people=len({r.writer for r in rows}),
        labels=labels,
        min_cell=service.settings.min_cell,
        keys=keys,
        total_key_sum=sum(map(record_key, rows)),
    )
