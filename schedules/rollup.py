"""The statistics rollup: sent nudges and replies added up per week, scope and dimension value, so the
dashboard reads thousands of rows instead of millions. Brought up to date incrementally: only the weeks
with a nudge sent or a reply changed since the last refresh are recomputed (all of them when the
lesson-to-theme map changes, or on request after people are forgotten), into temporary tables, and only
the cells that changed are written, so a refresh holds a lock that writers or pages wait for only briefly."""

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    and_,
    bindparam,
    case,
    delete,
    distinct,
    exists,
    func,
    insert,
    literal,
    or_,
    text,
    true,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
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


@dataclass(frozen=True)
class Source:
    """Where a query reads a sent nudge and its reply: the tables themselves (TABLES), or ROWS, the sent nudges
    of the weeks a refresh recomputes already joined to their replies."""

    delivery_id: Any
    person_id: Any
    period: Any
    lesson_id: Any
    role: Any
    team_id: Any
    agency: Any
    record_key: Any
    reply_id: Any
    check_correct: Any
    practice: Any
    reflection: Any
    theme: Any = None  # the lesson's theme, when worked out once for every row (None: worked out in each query)
    barrier: Any = None  # 1 for a reflection about what got in the way (None: is_barrier_sql works it out)


TABLES = Source(
    *(
        col(getattr(Delivery, name))
        for name in ("id", "person_id", "period", "lesson_id", "role", "team_id", "agency", "record_key")
    ),
    *(col(getattr(Reply, name)) for name in ("id", "check_correct", "practice", "reflection")),
)


def is_barrier_sql(src: Source = TABLES):
    if src.barrier is not None:
        return src.barrier
    return case((barrier_condition(src), 1), else_=0)


def barrier_condition(src: Source = TABLES):
    """A reflection about what got in the way, as a condition. In a WHERE clause PostgreSQL estimates how
    many rows pass it (about a quarter); it took `CASE ... END = 1` for 1 in 200 and planned accordingly."""
    words = [func.lower(src.reflection).like(f"%{word}%") for word in BARRIER_WORDS]
    return src.reflection.is_not(None) & or_(src.practice == "not_yet", *words)


def _practice(value: str, src: Source):
    return func.sum(case((src.practice == value, 1), else_=0))


def key_sums(src: Source = TABLES):
    """For each count, the sum of the record keys of the deliveries it counts (the cell key, before mod)."""
    key = src.record_key

    def when(condition):
        return func.sum(case((condition, key), else_=0))

    return (
        func.sum(key),
        when(src.reply_id.is_not(None)),
        when(src.check_correct.is_not(None)),
        when(src.check_correct.is_(True)),
        when(src.practice.is_not(None)),
        when(src.practice == "changed"),
        when(src.practice == "already"),
        when(src.practice == "not_yet"),
        when(src.practice == "not_relevant"),
        when(is_barrier_sql(src) == 1),
    )


def _group(grain: str, dim: str, theme_of: dict[str, str], src: Source = TABLES):
    key = {
        "base": literal(""),
        "role": src.role,
        "theme": src.theme if src.theme is not None else _theme(src, theme_of),
    }[dim]
    team = func.coalesce(src.team_id, 0) if grain == "team" else literal(0)
    agency = literal("") if grain == "all" else src.agency
    return key, team, agency


def _theme(src: Source, theme_of: dict[str, str]):
    return case(theme_of, value=src.lesson_id, else_="other") if theme_of else src.lesson_id


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


def _rows_table() -> Table:
    """ROWS: a temporary table of the sent nudges a refresh recomputes, each with its reply (None if unanswered),
    its theme and whether it says what got in the way, filled by one join; the nine groupings of the cells then
    read it instead of joining nudges and replies nine times (on PostgreSQL each join read the whole reply
    table) and matching every reflection against the barrier words eighteen times."""
    joined = [Column(field, getattr(TABLES, field).type) for field in JOINED]
    return Table("rollup_rows", MetaData(), *joined, Column("theme", String), Column("barrier", Integer), prefixes=["TEMPORARY"])


JOINED = [field for field in Source.__dataclass_fields__ if field not in ("theme", "barrier")]
ROWS = _rows_table()
IN_ROWS = Source(*(ROWS.c[field] for field in Source.__dataclass_fields__))


def _rows_select(periods: list[str] | None, theme_of: dict[str, str]) -> Any:
    """The sent nudges of `periods` (None: all), each joined to its reply: what fills ROWS."""
    query: Select[*tuple[Any, ...]] = Select(
        *(getattr(TABLES, field) for field in JOINED), _theme(TABLES, theme_of), is_barrier_sql(TABLES)
    )
    query = query.select_from(Delivery).outerjoin(Reply, col(Reply.delivery_id) == Delivery.id).where(*_sent())
    return query if periods is None else query.where(col(Delivery.period).in_(periods))


def _select(grain: str, dim: str, theme_of: dict[str, str]):
    """The cells of one grain and dimension for the weeks in ROWS."""
    src = IN_ROWS
    key, team, agency = _group(grain, dim, theme_of, src)
    query: Select[*tuple[Any, ...]] = Select(
        literal(grain),
        literal(dim),
        key,
        src.period,
        team,
        agency,
        func.count(distinct(src.person_id)),
        func.count(src.delivery_id),
        func.count(src.reply_id),
        func.count(src.check_correct),
        func.sum(case((src.check_correct.is_(True), 1), else_=0)),
        func.count(src.practice),
        _practice("changed", src),
        _practice("already", src),
        _practice("not_yet", src),
        _practice("not_relevant", src),
        func.sum(is_barrier_sql(src)),
        *key_sums(src),
    ).select_from(ROWS)
    return query.group_by(key, src.period, team, agency)


def _safe_select(dim: str, min_cell: int, cells: Table) -> Any:
    """The safe pieces of `dim`, from the team cells in `cells` (the weeks being refreshed): the pooling rule of
    `digests.disclosure.pooled_keys` (the specification; a test keeps the two in step) in one query.

    A team-week of fewer than `min_cell` people is left out. A value with fewer than `min_cell` people goes
    to POOLED; named values join it, smallest first (by people, then key), while the rest of the team-week
    (its people minus the named values') is non-zero and below `min_cell`."""

    t = cells.c

    def team_cells(d: str, *extra: Any) -> Any:
        return Select(*t, *extra).where(t.grain == "team", t.dim == d)

    base = team_cells("base").where(t.people >= min_cell).subquery()
    counts = [*ROLLUP_MEASURES, *KEYS]
    head = (literal(SAFE_GRAIN), literal(dim))
    if dim == "base":
        b = base.c
        return Select(*head, b.key, b.period, b.team_id, b.agency, b.people, *(b[c] for c in counts))
    named = case(((t.people >= min_cell) & (t.key != POOLED), 1), else_=0)
    joined = team_cells(dim, base.c.people.label("total"), named.label("named"))
    on = and_(t.team_id == base.c.team_id, t.agency == base.c.agency, t.period == base.c.period)
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


def _touched(conn: Connection, since: datetime) -> list[str]:
    sent = select(Delivery.period).where(col(Delivery.sent_at) >= since)
    replied = select(Delivery.period).join(Reply, col(Reply.delivery_id) == Delivery.id).where(Reply.updated_at >= since)
    return sorted(set(conn.execute(sent.distinct()).scalars()) | set(conn.execute(replied.distinct()).scalars()))


def themes_hash(theme_of: dict[str, str]) -> str:
    return hashlib.sha1(json.dumps(theme_of, sort_keys=True).encode()).hexdigest()


CELL_KEY = ["grain", "dim", "key", "period", "team_id", "agency"]  # statcell's unique key
COLUMNS = [*CELL_KEY, *COUNTS, *KEYS]
STATCELL: Table = StatCell.__table__  # type: ignore[attr-defined]


def _next_table() -> Table:
    """The cells of the weeks a refresh recomputes, computed before anything is written: a temporary table, on
    SQLite in the connection's own temporary database, so filling it takes no lock on the main one."""
    table = Table(
        "rollup_next",
        MetaData(),
        *(Column(name, STATCELL.c[name].type, nullable=False) for name in COLUMNS),
        prefixes=["TEMPORARY"],
    )
    Index("ix_rollup_next_key", *(table.c[name] for name in CELL_KEY))
    Index("ix_rollup_next_unit", *(table.c[name] for name in ("grain", "dim", "agency", "team_id", "period")))
    return table


NEXT = _next_table()


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
    counts to update ({"cell_id", "people"}) and ids to delete. Pure, so the write holds only what changed."""
    inserts, updates = [], []
    for row in counted:
        old = current.get(_cell_key(row))
        if old is None:
            inserts.append(row)
        elif old[1] != row["people"]:
            updates.append({"cell_id": old[0], "people": int(row["people"])})
    seen = {_cell_key(row) for row in counted}
    return inserts, updates, [cell_id for key, (cell_id, _) in current.items() if key not in seen]


def _current_people(session: Session) -> dict[CellKey, tuple[int, int]]:
    names = ("grain", "dim", "key", "team_id", "agency", "id", "people")
    query: Select[*tuple[Any, ...]] = Select(*(col(getattr(StatCell, name)) for name in names))
    rows = session.execute(query.where(col(StatCell.period) == ALL_TIME)).mappings()
    return {_cell_key(row): (int(row["id"]), int(row["people"])) for row in rows}


PEOPLE_BATCH = 200  # all-time cells written per transaction: each write holds the lock for a few milliseconds
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
    by_id = update(STATCELL).where(STATCELL.c.id == bindparam("cell_id")).values(people=bindparam("people"))
    steps: list[tuple[Any, list[dict] | None]] = [
        *((delete(STATCELL).where(STATCELL.c.id.in_(deletes[i : i + batch])), None) for i in range(0, len(deletes), batch)),
        *((by_id, updates[i : i + batch]) for i in range(0, len(updates), batch)),
        *((insert(STATCELL), inserts[i : i + batch]) for i in range(0, len(inserts), batch)),
    ]
    for statement, rows in steps:
        _lock(session.connection(), wait=True)
        state = session.get(StatState, 1)
        if state is None or state.people_at != now:  # rebuilt since (people forgotten?): its own recount follows
            session.rollback()
            return False
        session.execute(statement, rows)
        session.commit()
    return True


PAGE_WAIT_MS = 50  # SQLite: how long a page waits for the database's write lock before reading the rollup as it is


def _lock(conn: Connection, *, wait: bool, write: bool = True) -> bool:
    """The refresher's lock, held to the end of this transaction. With wait=False (a page) nobody queues behind
    a refresher: False (the transaction rolled back), and the caller reads the rollup as it is (committed,
    whole weeks: a refresh replaces a week's cells in one transaction).

    PostgreSQL: an advisory lock only refreshers take, for computing and for writing alike (one refresher at a
    time), so a page tries it without waiting. SQLite: computing needs no lock (a temporary table); writing
    takes the database's one write lock up front, by a write that changes nothing. Every writer holds that
    lock briefly (a reply, a sent message), so a page waits for it up to PAGE_WAIT_MS, not the 30 s busy timeout."""
    if conn.dialect.name == "postgresql":
        if wait:
            conn.execute(text("SELECT pg_advisory_xact_lock(6006)"))
            return True
        if conn.execute(text("SELECT pg_try_advisory_xact_lock(6006)")).scalar_one():
            return True
        conn.rollback()
        return False
    if not write:
        return True
    busy_timeout = conn.exec_driver_sql("PRAGMA busy_timeout").scalar_one()
    if not wait:
        conn.exec_driver_sql(f"PRAGMA busy_timeout = {PAGE_WAIT_MS}")
    try:
        conn.execute(update(StatState).where(col(StatState.id) == 0).values(id=StatState.id))
        return True
    except OperationalError as error:
        if wait or "locked" not in str(error):
            raise
    finally:
        if not wait:
            conn.exec_driver_sql(f"PRAGMA busy_timeout = {int(busy_timeout)}")
    conn.rollback()
    return False


def _state(conn: Connection) -> Any:
    query = select(StatState.refreshed_at, StatState.themes_hash).where(col(StatState.id) == 1)
    return conn.execute(query).first()


def _compute(conn: Connection, *, theme_of: dict[str, str], min_cell: int, periods: list[str] | None) -> None:
    """Fill NEXT with every cell of `periods` (None: all weeks): team, agency and all, then the safe pieces."""
    _drop_temporary(conn)  # left by a refresh that failed on this connection
    postgres = conn.dialect.name == "postgresql"
    if postgres and periods is not None:
        # A few weeks' replies are found by index; priced for spinning disks, the planner reads all of reply instead
        # (820 ms against 120 ms for a week at 1,000,000 replies). For this transaction only.
        conn.exec_driver_sql("SET LOCAL random_page_cost = 1.1")
    ROWS.create(conn)
    conn.execute(insert(ROWS).from_select([*JOINED, "theme", "barrier"], _rows_select(periods, theme_of)))
    NEXT.create(conn)
    if postgres:  # temporary tables are never analyzed by autovacuum: planned blind, the queries below go wrong
        conn.exec_driver_sql(f"ANALYZE {ROWS.name}")
    for grain, dim in CELLS:
        conn.execute(insert(NEXT).from_select(COLUMNS, _select(grain, dim, theme_of)))
    if postgres:  # the window query below joins NEXT to itself: blind, it nests loops over every pair of cells
        conn.exec_driver_sql(f"ANALYZE {NEXT.name}")
    for dim in ("base", "role", "theme"):  # after the team cells they are made from
        conn.execute(insert(NEXT).from_select(COLUMNS, _safe_select(dim, min_cell, NEXT)))


def _drop_temporary(conn: Connection) -> None:
    for table in (ROWS, NEXT):
        conn.exec_driver_sql(f"DROP TABLE IF EXISTS {table.name}")


def _apply(conn: Connection, periods: list[str] | None) -> None:
    """Make statcell's cells of `periods` those in NEXT, writing only the ones that changed (after one new reply,
    a dozen), so the write is short whatever the size of the weeks. No statement both reads statcell and adds
    to it: PostgreSQL, planning from an empty table's statistics, rescans the rows an INSERT ... SELECT adds
    (a first full build at 1,000,000 replies ran for more than 18 minutes)."""
    t, n = STATCELL.c, NEXT.c
    same = and_(*(t[name] == n[name] for name in CELL_KEY))
    weeks = t.period != ALL_TIME if periods is None else t.period.in_(periods)
    conn.execute(delete(STATCELL).where(weeks, ~exists().where(same)))  # cells no longer there
    values = (*COUNTS, *KEYS)
    unchanged = exists().where(same, *(t[name] == n[name] for name in values))
    conn.execute(delete(NEXT).where(unchanged))  # NEXT keeps the new cells and the changed ones
    upsert = (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(STATCELL)
    rows = select(*(n[name] for name in COLUMNS)).where(true())  # SQLite: a WHERE tells ON CONFLICT from a join
    upsert = upsert.from_select(COLUMNS, rows)
    conn.execute(upsert.on_conflict_do_update(index_elements=CELL_KEY, set_={name: upsert.excluded[name] for name in values}))


def _still_due(before: Any, now_state: Any, *, now: datetime, digest: str, full: bool) -> bool:
    """Whether what was computed from the state `before` may be written over the state there is now: nobody
    marked the rollup stale meanwhile, nobody wrote a newer refresh, and an incremental refresh's other weeks
    are still from its lesson-to-theme map."""
    if now_state is None:
        return before is None  # marked stale since (people forgotten?): only a rebuild of everything will do
    return now_state.refreshed_at < now and (full or now_state.themes_hash == digest)


def refresh(
    session: Session,
    *,
    theme_of: dict[str, str],
    now: datetime,
    min_cell: int = 5,
    full: bool = False,
    recount_people: bool = True,
    wait: bool = True,
    recent: timedelta | None = None,
) -> list[str] | None:
    """Recompute the weeks that changed (None: all of them; [] also when wait=False met another refresher).

    The cells are computed into a temporary table (NEXT) in one transaction, then written in a second, short
    one that changes only the cells that differ: on SQLite the write lock is held for that write alone, not
    for the seconds the computing takes at a million replies. A page passes wait=False and never queues behind
    another refresher (`_lock`). The distinct-people recount (every PEOPLE_EVERY; `recount_people=False`
    leaves it to the tick) runs afterwards and blocks nothing either (`recount_all_time`). With `recent`, a
    rollup refreshed that recently from the same themes is left as it is (returns [])."""
    with session.get_bind().engine.connect() as conn:  # one connection: the temporary table lives on it
        try:
            periods = _refresh_weeks(conn, theme_of=theme_of, now=now, min_cell=min_cell, full=full, wait=wait, recent=recent)
        finally:
            conn.rollback()
            _drop_temporary(conn)
            conn.commit()
    if recount_people:
        recount_all_time(session, theme_of=theme_of, now=now)
    return periods


def _refresh_weeks(
    conn: Connection,
    *,
    theme_of: dict[str, str],
    now: datetime,
    min_cell: int,
    full: bool,
    wait: bool,
    recent: timedelta | None = None,
) -> list[str] | None:
    digest = themes_hash({**theme_of, "": f"min_cell={min_cell}"})  # the safe pieces depend on both
    if recent is not None and not full:
        state = _state(conn)
        if state is not None and state.themes_hash == digest and state.refreshed_at >= now - recent:
            return []
    if not _lock(conn, wait=wait, write=False):
        return []
    before = _state(conn)
    every = full or before is None or before.themes_hash != digest
    periods = None if every else _touched(conn, before.refreshed_at - MARGIN)
    if periods == []:
        conn.commit()
        return []
    _compute(conn, theme_of=theme_of, min_cell=min_cell, periods=periods)
    conn.commit()  # SQLite: the write below needs a snapshot of its own; the temporary table stays
    if not _lock(conn, wait=wait):
        return []
    if not _still_due(before, _state(conn), now=now, digest=digest, full=periods is None):
        conn.rollback()
        return []
    _apply(conn, periods)
    values = {"refreshed_at": now, "themes_hash": digest}
    if periods is None:  # the all-time people counts go too (people may have been forgotten): due at once
        conn.execute(delete(STATCELL).where(STATCELL.c.period == ALL_TIME))
        values["people_at"] = NEVER
        if conn.dialect.name == "postgresql":  # the pages' sums walk an index planned blind otherwise
            conn.exec_driver_sql("ANALYZE statcell")
    if _state(conn) is None:
        conn.execute(insert(StatState).values({"id": 1, "people_at": NEVER, **values}))
    else:
        conn.execute(update(StatState).where(col(StatState.id) == 1).values(**values))
    conn.commit()
    return periods


def mark_stale(session: Session) -> None:
    """Make the next refresh recompute everything (after replies are deleted, e.g. when people are forgotten)."""
    session.execute(delete(StatState))
    session.commit()
