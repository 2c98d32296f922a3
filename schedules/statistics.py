"""The queries behind every statistic: counts of sent nudges and their replies, grouped by one dimension.

Only group snapshots on the delivery (role, team, agency, lesson, week) are read, never a person's
name or email; a person id is used only to count how many distinct people a group holds."""

from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta, timezone

from typing import Any

from sqlalchemy import Label, SQLColumnExpression, case, distinct, func, literal, union_all
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import Select

from schedules.models import AgendaRecord, Delivery, DeliveryStatus, Reply, StatCell, Team
from schedules.rollup import ALL_TIME, ROLLUP_MEASURES, SAFE_GRAIN, barrier_condition, key_sums
from schedules.slots import week_key
from schedules.windows import weeks_between

MEASURES = ("delivered", "replied", "checked", "correct", "answered", "changed", "already", "not_yet", "not_relevant")
DIMENSIONS = ("theme", "role", "team", "agency", "week")


@dataclass(frozen=True)
class Filter:
    """Which sent nudges count: a date window (by send date, inclusive) and a scope (a team or an agency)."""

    start: date | None = None
    end: date | None = None
    team_id: int | None = None
    agency: str | None = None
    lesson_ids: tuple[str, ...] | None = None


@dataclass(frozen=True)
class GroupCounts:
    key: str
    people: int
    counts: dict[str, int]
    keys: dict[str, int] = field(default_factory=dict)  # per measure, the sum of its records' keys (the cell key)


def _practice(value: str):
    return func.sum(case((col(Reply.practice) == value, 1), else_=0))


def _measures():
    return (
        func.count(Delivery.id),
        func.count(Reply.id),
        func.count(Reply.check_correct),
        func.sum(case((Reply.check_correct.is_(True), 1), else_=0)),
        func.count(Reply.practice),
        _practice("changed"),
        _practice("already"),
        _practice("not_yet"),
        _practice("not_relevant"),
        *key_sums()[: len(MEASURES)],
    )


def dimension(by: str, theme_of: dict[str, str]):
    if by == "theme":
        return case(theme_of, value=Delivery.lesson_id, else_="other") if theme_of else Delivery.lesson_id
    if by == "team":
        return func.coalesce(Team.name, "(no team)")
    return {"role": Delivery.role, "agency": Delivery.agency, "week": Delivery.period}[by]


def _utc(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=timezone.utc)


def _in_window(query, column, where: Filter):
    """Whole days, start and end included."""
    if where.start:
        query = query.where(column >= _utc(where.start))
    if where.end:
        query = query.where(column < _utc(where.end + timedelta(days=1)))
    return query


def sent_nudges_in(query: Any, where: Filter) -> Any:
    """Sent nudges in the window and scope: the one filter every statistic (and the loop figures) takes."""
    query = query.where(Delivery.kind == "nudge", Delivery.status == DeliveryStatus.SENT)
    # Dates by ISO week, as the rollup matches them: the raw and rolled-up views count the same deliveries.
    if where.start:
        query = query.where(Delivery.period >= week_key(where.start))
    if where.end:
        query = query.where(Delivery.period <= week_key(where.end))
    return deliveries_in_scope(query, where)


def deliveries_in_scope(query: Any, where: Filter) -> Any:
    """Deliveries in the filter's team, agency and lessons, by their group snapshot (the window is the caller's:
    nudges count by ISO week, impact questions by the month asked)."""
    if where.team_id is not None:
        query = query.where(Delivery.team_id == where.team_id)
    if where.agency is not None:
        query = query.where(Delivery.agency == where.agency)
    if where.lesson_ids is not None:
        query = query.where(col(Delivery.lesson_id).in_(where.lesson_ids))
    return query


def _counts(row) -> dict[str, int]:
    return {name: int(value or 0) for name, value in zip(MEASURES, row)}


def _keys(row) -> dict[str, int]:
    return {name: int(value or 0) for name, value in zip(MEASURES, row[len(MEASURES) :])}


def _group(key: str, people, row) -> GroupCounts:
    return GroupCounts(key, int(people or 0), _counts(row), _keys(row))


def grouped_raw(session: Session, *, by: str, where: Filter, theme_of: dict[str, str]) -> list[GroupCounts]:
    """One row per group, straight from the deliveries (for per-lesson views); `people` is exact."""
    key = dimension(by, theme_of).label("key")
    query = select(key, func.count(distinct(col(Delivery.person_id))), *_measures()).select_from(Delivery)
    query = query.outerjoin(Reply, col(Reply.delivery_id) == Delivery.id)
    if by == "team":
        query = query.outerjoin(Team, col(Team.id) == Delivery.team_id)
    rows = session.exec(sent_nudges_in(query, where).group_by(key).order_by(key)).all()
    return [_group(str(row[0]), row[1], row[2:]) for row in rows]


def overall_raw(session: Session, *, where: Filter) -> GroupCounts:
    query = select(func.count(distinct(col(Delivery.person_id))), *_measures()).select_from(Delivery)
    row = session.exec(sent_nudges_in(query.outerjoin(Reply, col(Reply.delivery_id) == Delivery.id), where)).one()
    return _group("total", row[0], row[1:])


def agenda_discussed(session: Session, *, by: str, where: Filter, theme_of: dict[str, str]) -> dict[str, int]:
    """Agenda items recorded as discussed, by the same groups (role does not apply: a meeting has no role)."""
    key = {"theme": AgendaRecord.theme_id, "week": AgendaRecord.week, "team": Team.name, "agency": Team.agency}.get(by)
    if key is None:
        return {}
    query = select(key, func.count(col(AgendaRecord.id))).join(Team, col(Team.id) == AgendaRecord.team_id)
    query = _in_window(query.where(col(AgendaRecord.discussed_at).is_not(None)), AgendaRecord.discussed_at, where)
    if where.team_id is not None:
        query = query.where(AgendaRecord.team_id == where.team_id)
    if where.agency is not None:
        query = query.where(Team.agency == where.agency)
    return {str(k): int(n) for k, n in session.exec(query.group_by(key))}


def barrier_samples(session: Session, *, where: Filter, theme_of: dict[str, str], limit: int = 200) -> list[tuple[str, int, str]]:
    """(theme, writer, reflection) for up to `limit` reflections in the window (whole weeks) that say what
    got in the way. The writer is an opaque number, used only to count distinct writers, never shown."""
    key = dimension("theme", theme_of)
    writer = func.coalesce(Delivery.person_id, 0)  # forgotten people count as one writer between them: never too many
    query: Any = select(
        key.label("theme"), writer.label("writer"), col(Reply.reflection).label("text"), col(Delivery.id).label("id")
    )
    query = query.select_from(Delivery).join(Reply, col(Reply.delivery_id) == Delivery.id).where(barrier_condition())

    def newest(q: Any) -> Any:
        return q.order_by(col(Delivery.id).desc()).limit(limit)

    # Newest first, walking the primary key. A sample: distinct writers counted in it are a lower bound, so
    # the k-writer rule only errs towards hiding. Kept small: on PostgreSQL a limit of 500 flips the plan
    # to a scan of the whole month (45 ms at 200, 2.8 s at 500 on the 1M-reply benchmark, admin scope). The
    # condition is barrier_condition, not `is_barrier_sql() == 1`: from that PostgreSQL expected 1 reply in 200
    # and scanned every reply ever instead (147 ms at 100,000 replies, 4 ms now; 0.5-0.9 s at 1,000,000).
    if session.get_bind().dialect.name != "sqlite" or not (where.start and where.end):
        rows = session.exec(newest(sent_nudges_in(query, where))).all()
    else:
        # SQLite reads the whole month to sort it (80 ms for an admin at 1,000,000 replies). The same rows, in
        # one query a week: each walks that week's index entries newest first (an index row ends in the rowid,
        # the delivery id) and stops at `limit`; the newest `limit` of them all are the month's newest (8 ms).
        scope = replace(where, start=None, end=None)
        weeks = [
            newest(sent_nudges_in(query, scope).where(Delivery.period == w)).subquery().select()
            for w in weeks_between(where.start, where.end)
        ]
        u = union_all(*weeks).subquery().c
        rows = session.exec(select(u.theme, u.writer, u.text, u.id).order_by(u.id.desc()).limit(limit)).all()
    return [(str(t), int(w), text) for t, w, text, _ in rows]


def agenda_evidence(session: Session, *, lesson_ids: tuple[str, ...]) -> list[tuple[str, str, str, bool]]:
    """(lesson, quarter, team, discussed) for the team agenda items built on these lessons: meetings, not
    people, but given by quarter like the rest of the evidence; discussed if any item that quarter was."""
    from schedules.windows import quarter_of

    query = select(AgendaRecord.lesson_id, AgendaRecord.week, Team.name, AgendaRecord.discussed_at).join(
        Team, col(Team.id) == AgendaRecord.team_id
    )
    items: dict[tuple[str, str, str], bool] = {}
    for lesson, week, team, discussed in session.exec(query.where(col(AgendaRecord.lesson_id).in_(lesson_ids))):
        key = (lesson, quarter_of(week), team)
        items[key] = items.get(key, False) or discussed is not None
    return [(*key, discussed) for key, discussed in sorted(items.items(), key=lambda kv: (kv[0][1], kv[0][2], kv[0][0]))]


def _grain(by: str, where: Filter) -> str:
    if where.team_id is not None or by == "team":
        return "team"
    return "agency" if where.agency is not None or by == "agency" else "all"


def _cells(query, where: Filter, grain: str, dim: str, all_time: bool = False):
    query = query.where(StatCell.grain == grain, StatCell.dim == dim)
    query = query.where(StatCell.period == ALL_TIME) if all_time else query.where(StatCell.period != ALL_TIME)
    if where.start and not all_time:
        query = query.where(StatCell.period >= week_key(where.start))
    if where.end and not all_time:
        query = query.where(StatCell.period <= week_key(where.end))
    if where.team_id is not None:
        query = query.where(StatCell.team_id == where.team_id)
    if where.agency is not None:
        query = query.where(StatCell.agency == where.agency)
    return query


def _people(session: Session, query_key, where: Filter, grain: str, dim: str, by_team: bool) -> dict[str, int]:
    """Distinct people per group, ever: exact (if up to a few hours old, so never too high). Only without
    a date window; within one, the largest single week stands in as a lower bound."""
    if where.start or where.end:
        return {}
    query = select(query_key, func.sum(StatCell.people)).select_from(StatCell)
    if by_team:
        query = query.outerjoin(Team, col(Team.id) == StatCell.team_id)
    return {str(k): int(n or 0) for k, n in session.exec(_cells(query, where, grain, dim, all_time=True).group_by(query_key))}


def _sums():
    # people: the largest single week is a lower bound on the distinct people in a group, so the
    # small-group rule errs towards hiding; without a date window the all-time count is used.
    return (
        func.max(StatCell.people),
        *(func.sum(getattr(StatCell, name)) for name in MEASURES),
        *(func.sum(getattr(StatCell, f"k_{name}")) for name in MEASURES),
    )


def _raw(by: str, where: Filter, theme_of: dict[str, str]) -> bool:
    return where.lesson_ids is not None or (by == "theme" and not theme_of)


def grouped(session: Session, *, by: str, where: Filter, theme_of: dict[str, str]) -> list[GroupCounts]:
    """One row per group, read from the rollup (dates matched by ISO week); per-lesson views read raw rows."""
    if _raw(by, where, theme_of):
        return grouped_raw(session, by=by, where=where, theme_of=theme_of)
    keys: dict[str, SQLColumnExpression[Any]] = {
        "week": col(StatCell.period),
        "team": func.coalesce(Team.name, "(no team)"),
        "agency": col(StatCell.agency),
    }
    column: SQLColumnExpression[Any] = keys.get(by, col(StatCell.key))
    key: Label[Any] = column.label("key")
    query = select(key, *_sums()).select_from(StatCell)
    if by == "team":
        query = query.outerjoin(Team, Team.id == StatCell.team_id)
    dim, grain = {"role": "role", "theme": "theme"}.get(by, "base"), _grain(by, where)
    rows = session.exec(_cells(query, where, grain, dim).group_by(key).order_by(key)).all()
    people = _people(session, key, where, grain, dim, by == "team")
    return [_group(str(row[0]), max(int(row[1] or 0), people.get(str(row[0]), 0)), row[2:]) for row in rows]


def overall(session: Session, *, where: Filter) -> GroupCounts:
    if _raw("", where, {"": ""}):
        return overall_raw(session, where=where)
    grain = _grain("", where)
    row = session.exec(_cells(select(*_sums()), where, grain, "base")).one()
    people = _people(session, literal("total"), where, grain, "base", False).get("total", 0)
    return _group("total", max(int(row[0] or 0), people), row[1:])


@dataclass(frozen=True)
class Piece:
    """One team (within one agency) in one ISO week, and one value of a dimension ("" for dim "base"):
    the finest cell every published figure is added up from (digests/disclosure.py pools and drops them)."""

    team_id: int
    team: str
    agency: str
    week: str
    key: str
    people: int
    counts: dict[str, int]
    keys: dict[str, int]


def pieces(session: Session, *, dim: str, where: Filter, theme_of: dict[str, str]) -> list[Piece]:
    """Every team-week cell of `dim` ("base", "role", "theme" from the rollup; "lesson" from the deliveries)
    in the window and scope. `people` is exact: distinct people in that team, agency, week and value."""
    team_name = func.coalesce(Team.name, "(no team)")
    cols: tuple[Any, ...]
    query: Select[*tuple[Any, ...]]
    if dim == "lesson":
        cols = (
            func.coalesce(Delivery.team_id, 0),
            team_name,
            col(Delivery.agency),
            col(Delivery.period),
            col(Delivery.lesson_id),
        )
        query = Select(*cols, func.count(distinct(col(Delivery.person_id))), *_measures()).select_from(Delivery)
        query = query.outerjoin(Reply, col(Reply.delivery_id) == Delivery.id).outerjoin(Team, col(Team.id) == Delivery.team_id)
        rows = session.exec(sent_nudges_in(query, where).group_by(*cols)).all()
    else:
        cols = (col(StatCell.team_id), team_name, col(StatCell.agency), col(StatCell.period), col(StatCell.key))
        sums = (
            *(getattr(StatCell, name) for name in ("people", *MEASURES)),
            *(getattr(StatCell, f"k_{name}") for name in MEASURES),
            StatCell.barriers,
            StatCell.k_barriers,
        )
        query = Select(*cols, *sums).select_from(StatCell).outerjoin(Team, col(Team.id) == StatCell.team_id)
        rows = session.exec(_cells(query, where, "team", dim)).all()
    out = []
    for r in rows:
        counts, keys = _counts(r[6:]), _keys(r[6:])
        if dim != "lesson":  # what got in the way, counted like every measure (rollup cells only)
            counts["barriers"], keys["barriers"] = int(r[-2] or 0), int(r[-1] or 0)
        out.append(Piece(int(r[0] or 0), str(r[1]), str(r[2] or ""), str(r[3]), str(r[4]), int(r[5] or 0), counts, keys))
    return out


def safe_groups(session: Session, *, by: str, dim: str, where: Filter, min_cell: int) -> list[GroupCounts]:
    """The rows of a table by `by` (week, team, agency, key or total), added up from the rollup's safe
    pieces of `dim` ("base", "role" or "theme"; grain "safe", written by schedules.rollup.refresh with
    the pooling rule of digests.disclosure.pooled_keys for `min_cell`)."""
    sums = (
        *(func.sum(getattr(StatCell, m)) for m in ROLLUP_MEASURES),
        *(func.sum(getattr(StatCell, f"k_{m}")) for m in ROLLUP_MEASURES),
    )
    label: Any = {
        "week": col(StatCell.period),
        "agency": col(StatCell.agency),
        "key": col(StatCell.key),
        "total": literal("total"),
    }.get(by, func.coalesce(Team.name, "(no team)"))
    query: Select[*tuple[Any, ...]] = Select(label.label("label"), func.max(StatCell.people), *sums).select_from(StatCell)
    if by == "team":
        query = query.outerjoin(Team, col(Team.id) == StatCell.team_id)
    query = _cells(query, where, SAFE_GRAIN, dim).where(StatCell.people >= min_cell)  # always so; a safety net
    out = []
    n = len(ROLLUP_MEASURES)
    for row in session.exec(query.group_by(label).order_by(label)):
        counts = {m: int(v or 0) for m, v in zip(ROLLUP_MEASURES, row[2 : 2 + n])}
        keys = {m: int(v or 0) for m, v in zip(ROLLUP_MEASURES, row[2 + n :])}
        out.append(GroupCounts(str(row[0]), int(row[1] or 0), counts, keys))
    return out
