"""Counts for impact at 3, 6 and 12 months (issue 17): of the impact questions sent, how many were answered
and how, grouped by one dimension. Each sent question is one row with its one answer (unique per delivery),
so nothing is counted twice; only the group snapshot on the delivery is read, never a name.

Questions are few (at most one a person a month), so rows are grouped here rather than in SQL, into
team-month pieces that digests/disclosure.py pools like every other figure."""

from collections.abc import Callable
from dataclasses import dataclass

from sqlmodel import Session, col
from sqlmodel.sql.expression import Select

from schedules.impact_planner import KIND, SCALE
from schedules.models import Delivery, DeliveryStatus, FollowUpAnswer, Team
from schedules.statistics import Filter, Piece, deliveries_in_scope

IMPACT_MEASURES = ("asked", "answered", *(value for value, _ in SCALE), "lines")
IMPACT_DIMENSIONS = ("theme", "role", "team", "agency", "week", "months")  # week: the month it was asked


@dataclass(frozen=True)
class ImpactRow:
    person: int  # an opaque number, only to count distinct people (0 once forgotten)
    team_id: int  # 0: no team
    lesson_id: str
    role: str
    team: str
    agency: str
    month: str  # YYYY-MM it was asked in
    months: int  # the interval: 3, 6, 12 ...
    record_key: int
    outcome: str | None
    line: bool


def impact_rows(session: Session, *, where: Filter) -> list[ImpactRow]:
    """Sent impact questions asked within the window's months and in its scope, each with its answer."""
    picked: Select = Select(
        col(Delivery.person_id),
        col(Delivery.team_id),
        col(Delivery.lesson_id),
        col(Delivery.role),
        col(Team.name),
        col(Delivery.agency),
        col(Delivery.period),
        col(Delivery.months),
        col(Delivery.record_key),
        col(FollowUpAnswer.outcome),
        col(FollowUpAnswer.barrier),
    )
    query = (
        picked.select_from(Delivery)
        .outerjoin(Team, col(Team.id) == Delivery.team_id)
        .outerjoin(FollowUpAnswer, col(FollowUpAnswer.delivery_id) == Delivery.id)
        .where(Delivery.kind == KIND, Delivery.status == DeliveryStatus.SENT)
    )
    if where.start:
        query = query.where(col(Delivery.period) >= f"i{where.start:%Y-%m}")
    if where.end:
        query = query.where(col(Delivery.period) <= f"i{where.end:%Y-%m}")
    query = deliveries_in_scope(query, where)
    return [
        ImpactRow(
            person or 0,
            team_id or 0,
            lesson,
            role,
            team or "(no team)",
            agency,
            period.removeprefix("i"),
            months or 0,
            key,
            outcome,
            bool(line and line.strip()),
        )  # fmt: skip
        for person, team_id, lesson, role, team, agency, period, months, key, outcome, line in session.exec(query)
    ]


def quarter_of_month(month: str) -> str:
    """'2026-Q4' for '2026-11'."""
    return f"{month[:4]}-Q{(int(month[5:7]) - 1) // 3 + 1}"


def key_of(dim: str, theme_of: dict[str, str]) -> Callable[[ImpactRow], str]:
    """The value a question has in a dimension that splits a team-month: its theme (the lesson id with no
    theme map), lesson, role or interval; "" for "base" (the whole team-month)."""
    if dim == "theme":
        return lambda r: theme_of.get(r.lesson_id, "other") if theme_of else r.lesson_id
    return {
        "base": lambda r: "",
        "lesson": lambda r: r.lesson_id,
        "role": lambda r: r.role,
        "months": lambda r: f"{r.months:02d}",  # sorts 3 before 12
    }[dim]


def _measures(row: ImpactRow) -> tuple[str, ...]:
    return ("asked",) + (("answered", row.outcome) if row.outcome else ()) + (("lines",) if row.line else ())


def impact_pieces(rows: list[ImpactRow], *, dim: str, theme_of: dict[str, str]) -> list[Piece]:
    """The raw pieces of the impact figures: one team (within one agency) in one month asked, split by
    `dim` ("base", "theme", "lesson", "role" or "months"), with counts, cell keys and distinct people.
    digests.disclosure pools them as it pools the statistics' team-weeks (a question a person a month
    at most, so a team-month is the finest period that holds several answers)."""
    key = key_of(dim, theme_of)
    cells: dict[tuple[int, str, str, str, str], list[ImpactRow]] = {}
    for row in rows:
        cells.setdefault((row.team_id, row.team, row.agency, row.month, key(row)), []).append(row)
    out = []
    for (team_id, team, agency, month, value), members in sorted(cells.items()):
        counts = dict.fromkeys(IMPACT_MEASURES, 0)
        keys = dict.fromkeys(IMPACT_MEASURES, 0)
        for row in members:
            for measure in _measures(row):
                counts[measure] += 1
                keys[measure] += row.record_key
        out.append(Piece(team_id, team, agency, month, value, len({r.person for r in members}), counts, keys))
    return out
