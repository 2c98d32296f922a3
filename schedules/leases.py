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

from sqlalchemy import Boolean, Connection, DateTime, Integer, and_, any_, bindparam, text, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, select

from schedules.json_rows import rows_source, stamp, to_json
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


def in_list(column: Any, name: str, *, postgres: bool) -> Any:
    """`column IN` the list given at execution as parameter `name`: one array parameter on PostgreSQL
    (`= ANY(:name)`), since psycopg parses a statement with a placeholder a value anew each time (a few ms
    for a batch's ids); an expanding IN elsewhere."""
    if postgres:
        return column == any_(bindparam(name, type_=postgresql.ARRAY(column.type)))
    return column.in_(bindparam(name, expanding=True))


_KINDS = ((UTCDateTime, "timestamp"), (DateTime, "timestamp"), (Boolean, "bool"), (Integer, "int"))


@functools.cache
def finish_sql(table: Any, columns: tuple[str, ...], held_only: bool, param: str = "rows") -> str:
    """PostgreSQL: `finish` for every row given these columns as one UPDATE, the rows as ONE JSON parameter
    `:param` (`finish_rows`; `schedules.json_rows`) and the holder as `:{param}_holder`; built once per shape.
    As arrays, psycopg adapted every value in Python (0.29 ms for 10 deliveries, against 0.15 ms as JSON, and
    the server's time 0.71 ms against 0.49). `param` keeps several such updates apart when a caller runs them
    in one statement of its own, as data-modifying CTEs (schedules/outbox.py)."""
    of = table.__table__.c
    kinds = [(c, next((kind for cls, kind in _KINDS if isinstance(of[c].type, cls)), "text")) for c in columns]
    source = rows_source("postgresql", (("id", "int"), *kinds), param=param)
    sets = ", ".join(["claimed_by = NULL", "lease_until = NULL", *(f"{c} = r.{c}" for c in columns)])
    held = f" AND t.claimed_by = :{param}_holder" if held_only else ""
    return f"UPDATE {table.__tablename__} AS t SET {sets} FROM ({source}) AS r WHERE t.id = r.id AND t.status = '{SENDING}'{held}"


def finish_rows(table: Any, batch: list[tuple[int, dict[str, Any]]], columns: tuple[str, ...]) -> str:
    """The JSON parameter of `finish_sql`: [id, new values...] a row, a timestamp as naive UTC text."""
    stamped = timestamp_columns(table, columns)
    return to_json([[row_id, *driver_values(values, columns, stamped)] for row_id, values in batch])


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
            params = {"rows": finish_rows(table, batch, columns), "rows_holder": claimant.id}
            changed += max(connection.execute(text(finish_sql(table, columns, held_only)), params).rowcount, 0)
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
