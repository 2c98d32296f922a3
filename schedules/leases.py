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

from sqlalchemy import Connection, TextClause, and_, bindparam, or_, text, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, select

SENDING = "sending"
DEFAULT_LEASE = timedelta(seconds=60)
# Every function here takes an open Session, or a Connection: the dispatcher holds one connection for a run
# instead of taking one from the pool (and pinging it) for each of its many small writes.
Db = Session | Connection


def dialect_name(db: Db) -> str:
    return db.get_bind().dialect.name if isinstance(db, Session) else db.dialect.name


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
    """Claim up to `limit` rows that are `ready` (or whose lease ran out) for `claimant`; commits and
    returns their ids in order. `among` narrows the rows considered (one team's post, one lead's digest).

    One UPDATE ... RETURNING: two claimers never get the same row, because the UPDATE re-checks each row
    and PostgreSQL skips rows another claimer has locked (SQLite has one writer at a time). `attempts`
    counts claims, so a crash still counts as an attempt."""
    claimable = or_(ready, lease_ran_out(table, now))
    if among is not None:
        claimable = and_(among, claimable)
    candidates: Any = select(table.id).where(claimable).order_by(*order_by).limit(limit)
    if dialect_name(db) == "postgresql":
        # Materialised, so the locked rows are chosen once: a plan may otherwise run the subquery again
        # (and, skipping nothing it locked itself, pick more rows than `limit`).
        candidates = select(candidates.with_for_update(skip_locked=True).cte("candidates").prefix_with("MATERIALIZED").c.id)
    claimed = db.execute(
        update(table)
        .where(table.id.in_(candidates), claimable)
        .values(
            status=SENDING, claimed_by=claimant.id, claimed_at=now, lease_until=now + claimant.lease, attempts=table.attempts + 1
        )
        .returning(table.id)
        .execution_options(synchronize_session=False)
    )
    ids = sorted(claimed.scalars())
    db.commit()
    return ids


def renew(db: Db, table: Any, *, claimant: Claimant, now: datetime) -> int:
    """Extend every lease this claimant holds to a full lease from `now`; commits. Returns how many."""
    result = db.execute(
        update(table)
        .where(table.claimed_by == claimant.id, table.status == SENDING)
        .values(lease_until=now + claimant.lease)
        .execution_options(synchronize_session=False)
    )
    db.commit()
    return result.rowcount


@functools.cache
def _finish_statement(table: Any, columns: tuple[str, ...], held_only: bool) -> Any:
    """Built once per shape: the dispatcher finishes rows many times a second, and building and keying
    a new statement each time cost more than running it."""
    where = [table.id == bindparam("row_id"), table.status == SENDING]
    if held_only:
        where.append(table.claimed_by == bindparam("holder"))
    return (
        update(table)
        .where(*where)
        .values(claimed_by=None, lease_until=None, **{c: bindparam(f"new_{c}") for c in columns})
        .execution_options(synchronize_session=False)
    )


@functools.cache
def _finish_arrays(table: Any, columns: tuple[str, ...], held_only: bool) -> TextClause:
    """PostgreSQL: the same update for many rows as one statement with one array parameter a column
    (UPDATE ... FROM unnest), instead of a statement a row: one round trip, and far less work in Python."""
    dialect = postgresql.dialect()
    quote = dialect.identifier_preparer.quote
    types = {name: table.__table__.c[name].type for name in ("id", *columns)}
    arrays = ", ".join(f"CAST(:{name} AS {kind.compile(dialect=dialect)}[])" for name, kind in types.items())
    where = f"t.id = v.id AND t.status = '{SENDING}'" + (" AND t.claimed_by = :holder" if held_only else "")
    sql = (
        f"UPDATE {quote(table.__tablename__)} AS t SET claimed_by = NULL, lease_until = NULL"
        + "".join(f", {quote(c)} = v.{quote(c)}" for c in columns)
        + f" FROM unnest({arrays}) AS v({', '.join(quote(name) for name in types)}) WHERE {where}"
    )
    return text(sql).bindparams(*(bindparam(name, type_=postgresql.ARRAY(kind)) for name, kind in types.items()))


def finish(db: Db, table: Any, rows: list[tuple[int, dict[str, Any]]], *, claimant: Claimant, held_only: bool = True) -> int:
    """Give up the claim on each (id, new column values) row; does not commit, so the caller can write
    the attempt records in the same transaction. With `held_only`, a row this claimant no longer holds
    (its lease ran out and someone else claimed it) is left alone: the new holder decides. Rows with the
    same set of columns go in one statement."""
    groups: dict[tuple[str, ...], list[tuple[int, dict[str, Any]]]] = {}
    for row_id, values in rows:
        groups.setdefault(tuple(sorted(values)), []).append((row_id, values))
    connection = db.connection() if isinstance(db, Session) else db
    arrays = connection.dialect.name == "postgresql"
    changed = 0
    for columns, batch in groups.items():
        if arrays:
            params = {"id": [row_id for row_id, _ in batch], **{c: [values[c] for _, values in batch] for c in columns}}
            if held_only:
                params["holder"] = claimant.id
            result = connection.execute(_finish_arrays(table, columns, held_only), params)
        else:  # SQLite: executemany of one cached statement runs in C, with no round trips to save
            statement = _finish_statement(table, columns, held_only)
            result = connection.execute(
                statement,
                [{"row_id": row_id, "holder": claimant.id, **{f"new_{c}": v for c, v in values.items()}} for row_id, values in batch],
            )
        changed += max(result.rowcount, 0)
    return changed
