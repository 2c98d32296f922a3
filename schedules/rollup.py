"""The statistics rollup: sent nudges and replies added up per week, scope and dimension value, so the
dashboard reads thousands of rows instead of millions. Brought up to date incrementally: only the weeks
with a nudge sent or a reply changed since the last refresh are recomputed (all of them when the
lesson-to-theme map changes, or on request after people are forgotten)."""

import hashlib
import json
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import and_, case, delete, distinct, func, insert, literal, or_, text, update
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import Select

from schedules.models import Delivery, DeliveryStatus, Reply, StatCell, StatState

# Words that mark a reflection as "what got in the way" (with any "not yet" answer). Matched as substrings,
# in SQL (LIKE) and in Python alike.
BARRIER_WORDS = (
    "time",
    "caseload",
    "busy",
    "couldn",
    "can't",
    "cannot",
    "didn",
    "no one",
    "nobody",
    "hard",
    "difficult",
    "barrier",
    "waiting",
    "system",
    "access",
    "capacity",
    "pressure",
)
COUNTS = (
    "people",
    "delivered",
    "replied",
    "checked",
    "correct",
    "answered",
    "changed",
    "already",
    "not_yet",
    "not_relevant",
    "barriers",
)
KEYS = tuple(f"k_{name}" for name in COUNTS[1:])  # per count, the sum of its deliveries' record keys
CELLS = tuple((grain, dim) for grain in ("team", "agency", "all") for dim in ("base", "role", "theme"))
SAFE_GRAIN = "safe"  # the pieces every published figure is added up from (digests/disclosure.py)
POOLED = "other"  # digests.disclosure.OTHER: the pooled value of a dimension within a team-week
ROLLUP_MEASURES = COUNTS[1:]
ALL_TIME = "*"  # the period of the cells that hold only how many distinct people a group has had, ever
PEOPLE_EVERY = timedelta(hours=6)  # people counts only grow, so an older count is a safe (lower) bound
MARGIN = timedelta(minutes=10)  # clock skew between writers: look back a little further than the last refresh


def is_barrier_sql():
    words = [func.lower(Reply.reflection).like(f"%{word}%") for word in BARRIER_WORDS]
    return case((col(Reply.reflection).is_not(None) & or_(col(Reply.practice) == "not_yet", *words), 1), else_=0)


def _practice(value: str):
    return func.sum(case((col(Reply.practice) == value, 1), else_=0))


def key_sums():
    """For each count, the sum of the record keys of the deliveries it counts (the cell key, before mod)."""
    key = Delivery.record_key

    def when(condition):
        return func.sum(case((condition, key), else_=0))

    return (
        func.sum(key),
        when(Reply.id.is_not(None)),
        when(Reply.check_correct.is_not(None)),
        when(Reply.check_correct.is_(True)),
        when(Reply.practice.is_not(None)),
        when(Reply.practice == "changed"),
        when(Reply.practice == "already"),
        when(Reply.practice == "not_yet"),
        when(Reply.practice == "not_relevant"),
        when(is_barrier_sql() == 1),
    )


def _group(grain: str, dim: str, theme_of: dict[str, str]):
    key = {
        "base": literal(""),
        "role": Delivery.role,
        "theme": case(theme_of, value=Delivery.lesson_id, else_="other") if theme_of else Delivery.lesson_id,
    }[dim]
    team = func.coalesce(Delivery.team_id, 0) if grain == "team" else literal(0)
    agency = literal("") if grain == "all" else Delivery.agency
    return key, team, agency


def _sent():
    return (Delivery.kind == "nudge", Delivery.status == DeliveryStatus.SENT)


def _people_select(grain: str, dim: str, theme_of: dict[str, str]):
    key, team, agency = _group(grain, dim, theme_of)
    zeros = [literal(0)] * (len(COUNTS) - 1 + len(KEYS))
    # sqlmodel's select() is typed for at most four columns; for more it builds this same Select.
    query: Select[*tuple[Any, ...]] = Select(
        literal(grain), literal(dim), key, literal(ALL_TIME), team, agency, func.count(distinct(col(Delivery.person_id))), *zeros
    )
    return query.where(*_sent()).group_by(key, team, agency)


def _select(grain: str, dim: str, theme_of: dict[str, str], periods: list[str] | None):
    key, team, agency = _group(grain, dim, theme_of)
    query: Select[*tuple[Any, ...]] = (
        Select(
            literal(grain),
            literal(dim),
            key,
            col(Delivery.period),
            team,
            agency,
            func.count(distinct(col(Delivery.person_id))),
            func.count(col(Delivery.id)),
            func.count(col(Reply.id)),
            func.count(col(Reply.check_correct)),
            func.sum(case((col(Reply.check_correct).is_(True), 1), else_=0)),
            func.count(col(Reply.practice)),
            _practice("changed"),
            _practice("already"),
            _practice("not_yet"),
            _practice("not_relevant"),
            func.sum(is_barrier_sql()),
            *key_sums(),
        )
        .select_from(Delivery)
        .outerjoin(Reply, col(Reply.delivery_id) == Delivery.id)
    )
    query = query.where(*_sent())
    if periods is not None:
        query = query.where(col(Delivery.period).in_(periods))
    return query.group_by(key, Delivery.period, team, agency)


def _safe_select(dim: str, min_cell: int, periods: list[str] | None) -> Any:
    """The safe pieces of `dim`, from the team cells just written: the pooling rule of
    `digests.disclosure.pooled_keys` (the specification; a test keeps the two in step) in one query.

    A team-week of fewer than `min_cell` people is left out. A value with fewer than `min_cell` people goes
    to POOLED; named values join it, smallest first (by people, then key), while the rest of the team-week
    (its people minus the named values') is non-zero and below `min_cell`."""

    def team_cells(d: str, *extra: Any) -> Any:
        query = select(StatCell, *extra).where(StatCell.grain == "team", StatCell.dim == d, StatCell.period != ALL_TIME)
        return query if periods is None else query.where(col(StatCell.period).in_(periods))

    base = team_cells("base").where(StatCell.people >= min_cell).subquery()
    counts = [*ROLLUP_MEASURES, *KEYS]
    head = (literal(SAFE_GRAIN), literal(dim))
    if dim == "base":
        b = base.c
        return Select(*head, b.key, b.period, b.team_id, b.agency, b.people, *(b[c] for c in counts))
    named = case(((col(StatCell.people) >= min_cell) & (col(StatCell.key) != POOLED), 1), else_=0)
    joined = team_cells(dim, base.c.people.label("total"), named.label("named"))
    on = and_(StatCell.team_id == base.c.team_id, StatCell.agency == base.c.agency, StatCell.period == base.c.period)
    j = joined.join(base, on).subquery().c
    per_unit = (j.team_id, j.agency, j.period)
    w = (
        Select(
            j.key,
            j.period,
            j.team_id,
            j.agency,
            j.people,
            j.total,
            j.named,
            *(j[c] for c in counts),
            func.sum(j.people * j.named).over(partition_by=per_unit).label("named_sum"),
            func.sum(1 - j.named).over(partition_by=per_unit).label("small_n"),
            func.coalesce(
                func.sum(j.people).over(partition_by=(*per_unit, j.named), order_by=(j.people, j.key), rows=(None, -1)), 0
            ).label("before"),
        )
        .subquery()
        .c
    )
    pooled = or_(w.named == 0, and_(w.small_n > 0, w.total - w.named_sum + w.before < min_cell))
    key = case((pooled, literal(POOLED)), else_=w.key)
    people = func.sum(w.people)
    return Select(
        *head,
        key,
        w.period,
        w.team_id,
        w.agency,
        case((people < func.max(w.total), people), else_=func.max(w.total)),  # a lower bound, k or more
        *(func.sum(w[c]) for c in counts),
    ).group_by(key, w.period, w.team_id, w.agency)


def _touched(session: Session, since: datetime) -> list[str]:
    sent = select(Delivery.period).where(col(Delivery.sent_at) >= since)
    replied = select(Delivery.period).join(Reply, col(Reply.delivery_id) == Delivery.id).where(Reply.updated_at >= since)
    return sorted(set(session.exec(sent.distinct())) | set(session.exec(replied.distinct())))


def themes_hash(theme_of: dict[str, str]) -> str:
    return hashlib.sha1(json.dumps(theme_of, sort_keys=True).encode()).hexdigest()


COLUMNS = ["grain", "dim", "key", "period", "team_id", "agency", *COUNTS, *KEYS]


def _people_rows(session: Session, theme_of: dict[str, str]) -> list[dict]:
    """The all-time distinct-people cells, computed by reads alone (seconds at a million replies)."""
    if session.get_bind().dialect.name == "postgresql":
        # One core at most: nobody waits for the recount, and on a small machine a page keeps the other.
        session.execute(text("SET LOCAL max_parallel_workers_per_gather = 0"))
    rows = []
    for grain, dim in CELLS:
        rows += [dict(zip(COLUMNS, row, strict=True)) for row in session.execute(_people_select(grain, dim, theme_of))]
    return rows


CellKey = tuple[str, str, str, int, str]  # grain, dim, key, team_id, agency of an all-time cell


def _cell_key(row: Any) -> CellKey:
    return (row["grain"], row["dim"], row["key"], int(row["team_id"]), row["agency"])


def people_changes(
    counted: list[dict], current: dict[CellKey, tuple[int, int]]
) -> tuple[list[dict], list[dict[str, int]], list[int]]:
    """What turns the all-time cells `current` (key -> (id, people)) into `counted`: rows to insert, people
    counts to update ({"id", "people"}) and ids to delete. Pure, so the write holds only what changed."""
    inserts, updates = [], []
    for row in counted:
        old = current.get(_cell_key(row))
        if old is None:
            inserts.append(row)
        elif old[1] != row["people"]:
            updates.append({"id": old[0], "people": int(row["people"])})
    seen = {_cell_key(row) for row in counted}
    return inserts, updates, [cell_id for key, (cell_id, _) in current.items() if key not in seen]


def _current_people(session: Session) -> dict[CellKey, tuple[int, int]]:
    names = ("grain", "dim", "key", "team_id", "agency", "id", "people")
    query: Select[*tuple[Any, ...]] = Select(*(col(getattr(StatCell, name)) for name in names))
    rows = session.execute(query.where(col(StatCell.period) == ALL_TIME)).mappings()
    return {_cell_key(row): (int(row["id"]), int(row["people"])) for row in rows}


PEOPLE_BATCH = 500  # all-time cells written per transaction: each write holds the lock for milliseconds
NEVER = datetime(1970, 1, 1, tzinfo=timezone.utc)  # people_at after a full rebuild: the tick recounts next


def recount_all_time(session: Session, *, theme_of: dict[str, str], now: datetime, batch: int = PEOPLE_BATCH) -> bool:
    """Retake the all-time people counts if they are PEOPLE_EVERY old; False if not due or another refresher
    claimed them first. Nothing waits for it: the claim is a one-row write, the counting is reads alone,
    and only the cells whose count changed are written, `batch` at a time, each in a short transaction
    of its own. Between batches readers see some counts new and some old: both are lower bounds (counts only
    grow; a full rebuild, after people are forgotten, resets the claim and this recount stops)."""
    state = session.get(StatState, 1)
    if state is None or state.people_at >= now - PEOPLE_EVERY:  # read first: the tick asks every minute
        session.commit()
        return False
    claim = (
        update(StatState)
        .where(col(StatState.id) == 1, col(StatState.people_at) < now - PEOPLE_EVERY)
        .values(people_at=now)
        .execution_options(synchronize_session=False)
    )
    claimed = session.execute(claim).rowcount == 1  # type: ignore[attr-defined]
    session.commit()
    if not claimed:
        return False
    counted = _people_rows(session, theme_of)
    inserts, updates, deletes = people_changes(counted, _current_people(session))
    session.commit()  # end the reads before taking the write lock
    steps: list[tuple[Any, list[dict] | None]] = [
        *((delete(StatCell).where(col(StatCell.id).in_(deletes[i : i + batch])), None) for i in range(0, len(deletes), batch)),
        *((update(StatCell), updates[i : i + batch]) for i in range(0, len(updates), batch)),
        *((insert(StatCell), inserts[i : i + batch]) for i in range(0, len(inserts), batch)),
    ]
    for statement, rows in steps:
        _lock(session, wait=True)
        state = session.get(StatState, 1)
        if state is None or state.people_at != now:  # rebuilt since (people forgotten?): its own recount follows
            session.rollback()
            return False
        session.execute(statement, rows)
        session.commit()
    return True


PAGE_WAIT_MS = 50  # SQLite: how long a page waits for the database's write lock before reading the rollup as it is


def _lock(session: Session, *, wait: bool) -> bool:
    """The refresher's lock, held to the end of this transaction: one refresher at a time. With wait=False
    (a page) nobody queues behind a refresher: False, and the caller reads the rollup as it is (committed,
    whole weeks: a refresh replaces a week's cells in one transaction).

    PostgreSQL: an advisory lock only refreshers take, so a page tries it without waiting. SQLite: the
    database's one write lock, taken up front by a write that changes nothing; every writer holds it
    briefly (a reply, a sent message), so a page waits for it up to PAGE_WAIT_MS, not the 30 s busy timeout."""
    if session.get_bind().dialect.name == "postgresql":
        if wait:
            session.execute(text("SELECT pg_advisory_xact_lock(6006)"))
            return True
        return bool(session.execute(text("SELECT pg_try_advisory_xact_lock(6006)")).scalar_one())
    connection = session.connection()
    busy_timeout = connection.exec_driver_sql("PRAGMA busy_timeout").scalar_one()
    if not wait:
        connection.exec_driver_sql(f"PRAGMA busy_timeout = {PAGE_WAIT_MS}")
    try:
        session.execute(update(StatState).where(col(StatState.id) == 0).values(id=StatState.id))
        return True
    except OperationalError as error:
        if wait or "locked" not in str(error):
            raise
    finally:
        if not wait:
            connection.exec_driver_sql(f"PRAGMA busy_timeout = {int(busy_timeout)}")
    session.rollback()
    return False


def refresh(
    session: Session,
    *,
    theme_of: dict[str, str],
    now: datetime,
    min_cell: int = 5,
    full: bool = False,
    recount_people: bool = True,
    wait: bool = True,
) -> list[str] | None:
    """Recompute the weeks that changed (None: all of them; [] also when wait=False found another refresher
    at work). One refresher at a time (`_lock`): a page passes wait=False and never queues behind one.

    The distinct-people recount (every PEOPLE_EVERY; `recount_people=False` leaves it to the tick) runs after
    the weeks are written and blocks nothing (`recount_all_time`)."""
    if not _lock(session, wait=wait):
        return []
    state = session.get(StatState, 1)
    digest = themes_hash({**theme_of, "": f"min_cell={min_cell}"})  # the safe pieces depend on both
    periods = None if full or state is None or state.themes_hash != digest else _touched(session, state.refreshed_at - MARGIN)
    if periods != []:
        wipe = delete(StatCell) if periods is None else delete(StatCell).where(col(StatCell.period).in_(periods))
        session.execute(wipe)
        for grain, dim in CELLS:
            session.execute(insert(StatCell).from_select(COLUMNS, _select(grain, dim, theme_of, periods)))
        # After a full rebuild PostgreSQL's planner must know the table's new contents: planned from an empty
        # table's statistics, the window query below nests loops over every pair of cells (18 minutes at 100,000
        # replies), and the pages' sums walk an index over every safe piece (4 times slower at 1,000,000).
        analyze = periods is None and session.get_bind().dialect.name == "postgresql"
        if analyze:
            session.execute(text("ANALYZE statcell"))
        for dim in ("base", "role", "theme"):  # after the team cells they are made from
            session.execute(insert(StatCell).from_select(COLUMNS, _safe_select(dim, min_cell, periods)))
        if analyze:
            session.execute(text("ANALYZE statcell"))
        state = state or StatState(id=1, refreshed_at=now, themes_hash=digest, people_at=NEVER)
        state.refreshed_at, state.themes_hash = now, digest
        if periods is None:
            state.people_at = NEVER  # the all-time cells were wiped with the rest: due at once
        session.add(state)
    session.commit()
    if recount_people:
        recount_all_time(session, theme_of=theme_of, now=now)
    return periods


def mark_stale(session: Session) -> None:
    """Make the next refresh recompute everything (after replies are deleted, e.g. when people are forgotten)."""
    session.execute(delete(StatState))
    session.commit()
