"""One claim / lease / finish helper behind every outbox-like table: deliveries, team channel posts and
the weekly emails.

A row is claimed by moving it to "sending" with who holds it (`claimed_by`) and until when
(`lease_until`). The holder renews its leases while it works; a row can be claimed again only once its
lease has run out. So a live worker never loses a row, however slow the relay, and the rows of a worker
that died come back after one short lease (60 s by default), not after a fixed ten minutes.

The table needs the columns id, status, attempts, claimed_by, claimed_at and lease_until."""

import functools
import os
import socket
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from uuid import uuid4

from sqlalchemy import Connection, DateTime, and_, any_, bindparam, func, null, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, select

from schedules.json_rows import stamp
from schedules.timeutil import UTCDateTime

SENDING = "sending"
DEFAULT_LEASE = timedelta(seconds=60)
# Every function here takes an open Session, or a Connection: the dispatcher holds one connection for a run
# instead of taking one from the pool (and pinging it) for each of its many small writes.
Db = Session | Connection


def connection_of(db: Db) -> Connection:
    """The connection a statement runs on (a session's is inside its transaction)."""
    return db.connection() if isinstance(db, Session) else db


def _new_id() -> str:
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid4().hex[:12]}"


@dataclass(frozen=True)
class Claimant:
    """Who holds a claim (host, process and a random part, so two workers in one process differ) and
    how long a claim lives without renewal. Renew every third of the lease; stop starting new work when
    the last renewal is two thirds of a lease old, so work always ends inside the lease."""

    lease: timedelta = DEFAULT_LEASE
    id: str = field(default_factory=_new_id)

    @property
    def renew_every(self) -> timedelta:
        return self.lease / 3

    def still_holds(self, renewed_at: datetime, now: datetime) -> bool:
        return now < renewed_at + self.lease - self.renew_every


def lease_ran_out(table: Any, now: datetime) -> ColumnElement[bool]:
    return and_(table.status == SENDING, table.lease_until < now)


def claim(
    db: Db,
    table: Any,
    *,
    ready: ColumnElement[bool],
    claimant: Claimant,
    now: datetime,
    limit: int,
    order_by: tuple = (),
    among: ColumnElement[bool] | None = None,
) -> list[int]:
    """Claim up to `limit` rows whose lease ran out, then rows that are `ready`, for `claimant`; commits
    and returns their ids in order. `among` narrows the rows considered (one team's post, one lead's digest).

    Each is one UPDATE ... RETURNING on one condition, so an index on (status, <order_by>) finds the next
    rows without sorting everything that is due. Two claimers never get the same row: the UPDATE re-checks
    each row, and PostgreSQL skips rows another claimer has locked (SQLite has one writer at a time).
    `attempts` counts claims, so a crash still counts as an attempt."""
    ids = _claim_where(db, table, lease_ran_out(table, now), among, claimant, now, limit, order_by)
    if len(ids) < limit:
        ids += _claim_where(db, table, ready, among, claimant, now, limit - len(ids), order_by)
    db.commit()
    return sorted(ids)


def _claim_where(
    db: Db,
    table: Any,
    claimable: ColumnElement[bool],
    among: ColumnElement[bool] | None,
    claimant: Claimant,
    now: datetime,
    limit: int,
    order_by: tuple,
) -> list[int]:
    if among is not None:
        claimable = and_(among, claimable)
    candidates: Any = select(table.id).where(claimable).order_by(*order_by).limit(limit)
    if connection_of(db).dialect.name == "postgresql":
        # Materialised, so the locked rows are chosen once: a plan may otherwise run the subquery again
        # (and, skipping nothing it locked itself, pick more rows than `limit`).
        candidates = select(candidates.with_for_update(skip_locked=True).cte("candidates").prefix_with("MATERIALIZED").c.id)
    claimed = connection_of(db).execute(
        update(table)
        .where(table.id.in_(candidates), claimable)
        .values(
            status=SENDING, claimed_by=claimant.id, claimed_at=now, lease_until=now + claimant.lease, attempts=table.attempts + 1
        )
        .returning(table.id)
    )
    return list(claimed.scalars())


def renew(db: Db, table: Any, *, claimant: Claimant, now: datetime) -> int:
    """Extend every lease this claimant holds to a full lease from `now`; commits. Returns how many."""
    result = connection_of(db).execute(
        update(table).where(table.claimed_by == claimant.id, table.status == SENDING).values(lease_until=now + claimant.lease)
    )
    db.commit()
    return result.rowcount


def unnest(table: Any, columns: tuple[str, ...], prefix: str) -> Any:
    """PostgreSQL: rows given as one array parameter a column, `unnest(:v_id, :v_status, ...) AS v(id, status, ...)`,
    typed as the table's columns: a statement for many rows with a few parameters, not a few a row. Parameter
    names carry a prefix: an UPDATE would take a parameter named like one of its columns as a value to set."""
    of = table.__table__.c
    arrays = (bindparam(prefix + name, type_=postgresql.ARRAY(of[name].type)) for name in columns)
    return func.unnest(*arrays).table_valued(*columns).render_derived()


def in_list(column: Any, name: str, *, postgres: bool) -> Any:
    """`column IN` the list given at execution as parameter `name`: one array parameter on PostgreSQL
    (`= ANY(:name)`), since psycopg parses a statement with a placeholder a value anew each time (a few ms
    for a batch's ids); an expanding IN elsewhere."""
    if postgres:
        return column == any_(bindparam(name, type_=postgresql.ARRAY(column.type)))
    return column.in_(bindparam(name, expanding=True))


@functools.cache
def finish_update(table: Any, columns: tuple[str, ...], held_only: bool, prefix: str = "v_") -> Any:
    """PostgreSQL: `finish` for every row given these columns, as one UPDATE ... FROM unnest(...) whose
    parameters `finish_params` fills. Built once per shape; `prefix` keeps the parameter names of several
    such updates apart when a caller runs them in one statement of its own (as data-modifying CTEs)."""
    given = unnest(table, ("id", *columns), prefix)
    where = [table.id == given.c.id, table.status == SENDING]
    if held_only:
        where.append(table.claimed_by == bindparam(prefix + "holder"))
    return update(table).where(*where).values(claimed_by=null(), lease_until=null(), **{c: given.c[c] for c in columns})


def finish_params(
    batch: list[tuple[int, dict[str, Any]]], columns: tuple[str, ...], *, claimant: Claimant, held_only: bool, prefix: str = "v_"
) -> dict[str, Any]:
    params = {prefix + "id": [row_id for row_id, _ in batch], **{prefix + c: [values[c] for _, values in batch] for c in columns}}
    return params | ({prefix + "holder": claimant.id} if held_only else {})


def by_columns(rows: list[tuple[int, dict[str, Any]]]) -> dict[tuple[str, ...], list[tuple[int, dict[str, Any]]]]:
    """The rows grouped by which columns they set: each group is one statement."""
    groups: dict[tuple[str, ...], list[tuple[int, dict[str, Any]]]] = {}
    for row_id, values in rows:
        groups.setdefault(tuple(sorted(values)), []).append((row_id, values))
    return groups


def finish(db: Db, table: Any, rows: list[tuple[int, dict[str, Any]]], *, claimant: Claimant, held_only: bool = True) -> int:
    """Give up the claim on each (id, new column values) row; does not commit, so the caller can write
    the attempt records in the same transaction. With `held_only`, a row this claimant no longer holds
    (its lease ran out and someone else claimed it) is left alone: the new holder decides. Rows with the
    same set of columns go in one statement."""
    connection = connection_of(db)
    changed = 0
    for columns, batch in by_columns(rows).items():
        if connection.dialect.name == "postgresql":
            params = finish_params(batch, columns, claimant=claimant, held_only=held_only)
            changed += max(connection.execute(finish_update(table, columns, held_only), params).rowcount, 0)
            continue
        # SQLite: the driver's executemany of one SQL text runs in C; SQLAlchemy's would process every
        # parameter of every row in Python first (the dispatcher finishes rows many times a second)
        sql, stamped = _sqlite_finish(table, columns, held_only)
        held = (claimant.id,) if held_only else ()
        rows = [(*driver_values(values, columns, stamped), row_id, *held) for row_id, values in batch]
        changed += max(connection.exec_driver_sql(sql, rows).rowcount, 0)
    return changed


@functools.cache
def _sqlite_finish(table: Any, columns: tuple[str, ...], held_only: bool) -> tuple[str, frozenset[str]]:
    """`finish` as SQLite SQL text with ? parameters (the new values, the id, the holder), and which of the
    columns are timestamps: built once per shape."""
    sets = ", ".join(["claimed_by = NULL", "lease_until = NULL", *(f"{c} = ?" for c in columns)])
    held = " AND claimed_by = ?" if held_only else ""
    sql = f"UPDATE {table.__tablename__} SET {sets} WHERE id = ? AND status = '{SENDING}'{held}"
    return sql, timestamp_columns(table, columns)


def timestamp_columns(table: Any, columns: tuple[str, ...]) -> frozenset[str]:
    of = table.__table__.c
    return frozenset(c for c in columns if isinstance(of[c].type, UTCDateTime | DateTime))


def driver_values(values: dict[str, Any], columns: tuple[str, ...], stamped: frozenset[str]) -> list[Any]:
    """`values` of `columns` as SQLAlchemy would hand them to SQLite's driver: a timestamp as the text it
    stores (`stamp`), text and numbers as they are."""
    return [None if values[c] is None else stamp(values[c]) if c in stamped else values[c] for c in columns]
