"""Counts for impact at 3, 6 and 12 months (issue 17): of the impact questions sent, how many were answered
and how, grouped by one dimension. Each sent question is one row with its one answer (unique per delivery),
so nothing is counted twice; only the group snapshot on the delivery is read, never a name.

Questions are few (at most one a person a month), so rows are grouped here rather than in SQL: that lets
the evidence export group by quarter and agency while counting distinct people per group, as the
threshold needs."""

from collections.abc import Callable
from dataclasses import dataclass

from sqlmodel import Session, col
from sqlmodel.sql.expression import Select

from schedules.impact_planner import KIND, SCALE
from schedules.models import Delivery, DeliveryStatus, FollowUpAnswer, Team
from schedules.statistics import Filter, GroupCounts, deliveries_in_scope

IMPACT_MEASURES = ("asked", "answered", *(value for value, _ in SCALE), "lines")
IMPACT_DIMENSIONS = ("theme", "role", "team", "agency", "week", "months")  # week: the month it was asked


@dataclass(frozen=True)
class ImpactRow:
    person: int  # an opaque number, only to count distinct people (0 once forgotten)
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
        for person, lesson, role, team, agency, period, months, key, outcome, line in session.exec(query)
    ]


def key_of(by: str, theme_of: dict[str, str]) -> Callable[[ImpactRow], str]:
    """The group a row falls in: a theme (the lesson id with no theme map), role, team, agency, the month it
    was asked, the interval, or "quarter|agency" for evidence."""
    if by == "theme":
        return lambda r: theme_of.get(r.lesson_id, "other") if theme_of else r.lesson_id
    if by == "evidence":
        return lambda r: f"{r.month[:4]}-Q{(int(r.month[5:7]) - 1) // 3 + 1}|{r.agency}"
    return {
        "role": lambda r: r.role,
        "team": lambda r: r.team,
        "agency": lambda r: r.agency,
        "week": lambda r: r.month,
        "months": lambda r: f"{r.months:02d}",  # sorts 3 before 12
    }[by]


def _measures(row: ImpactRow) -> tuple[str, ...]:
    return ("asked",) + (("answered", row.outcome) if row.outcome else ()) + (("lines",) if row.line else ())


def group_impact(rows: list[ImpactRow], key: Callable[[ImpactRow], str]) -> tuple[list[GroupCounts], GroupCounts]:
    """Counts, distinct people and cell keys (the sum of the counted records' keys) per group and in total."""

    def grouped(members: list[ImpactRow], name: str) -> GroupCounts:
        counts = dict.fromkeys(IMPACT_MEASURES, 0)
        keys = dict.fromkeys(IMPACT_MEASURES, 0)
        for row in members:
            for measure in _measures(row):
                counts[measure] += 1
                keys[measure] += row.record_key
        return GroupCounts(name, len({r.person for r in members}), counts, keys)

    by_key: dict[str, list[ImpactRow]] = {}
    for row in rows:
        by_key.setdefault(key(row), []).append(row)
    return [grouped(by_key[k], k) for k in sorted(by_key)], grouped(rows, "total")
