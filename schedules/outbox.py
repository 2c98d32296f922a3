"""The deliveries outbox: idempotent writes from the planner, safe claims by dispatchers, attempt records."""

import functools
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import uuid4

from sqlalchemy import Engine, and_, bindparam, insert, text
from sqlalchemy import select as sql_select
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, SQLModel, col, select

from schedules import leases
from schedules.leases import Claimant
from schedules.models import Delivery, DeliveryAttempt, DeliveryStatus, SpacingCard
from schedules.disclosure_constants import new_record_key
from schedules.planner import CardState, History, PlannedDelivery
from schedules.timeutil import UTCDateTime, as_utc

INSERT_BATCH = 1000


def histories(session: Session, *, person_ids: list[int]) -> dict[int, History]:
    """These people's planned weeks, last delivery per lesson, and spacing cards, in two queries."""
    periods: dict[int, set[str]] = {}
    delivered: dict[int, dict[str, datetime]] = {}
    rows = session.exec(
        select(Delivery.person_id, Delivery.period, Delivery.lesson_id, Delivery.due_at).where(
            Delivery.kind == "nudge", col(Delivery.person_id).in_(person_ids)
        )
    )
    for person_id, period, lesson_id, due_at in rows:
        assert person_id is not None  # selected by person id
        periods.setdefault(person_id, set()).add(period)
        last = delivered.setdefault(person_id, {})
        last[lesson_id] = max(due_at, last.get(lesson_id, due_at))
    cards: dict[int, dict[str, CardState]] = {}
    for card in session.exec(select(SpacingCard).where(col(SpacingCard.person_id).in_(person_ids))):
        cards.setdefault(card.person_id, {})[card.lesson_id] = CardState(card.due_at, card.last_review_at, card.retired)
    return {
        pid: History(frozenset(periods.get(pid, ())), delivered.get(pid, {}), cards.get(pid, {}))
        for pid in set(periods) | set(cards)
    }


_COLUMNS = {
    "person_id": "int",
    "kind": "text",
    "parent_id": "int",
    "months": "int",
    "period": "text",
    "lesson_id": "text",
    "lesson_version": "text",
    "is_review": "bool",
    "channel": "text",
    "role": "text",
    "team_id": "int",
    "agency": "text",
    "status": "text",
    "due_at": "timestamp",
    "first_due_at": "timestamp",
    "attempts": "int",
    "created_at": "timestamp",
    "message_token": "text",
    "record_key": "int",
}
# PostgreSQL: one statement a batch whatever its size, one array parameter a column (not one a row), counting what it
# inserted in the server; no RETURNING row per delivery comes back to Python.
_PG_INSERT = text(
    f"WITH written AS (INSERT INTO delivery ({', '.join(_COLUMNS)}) "
    f"SELECT * FROM unnest({', '.join(f'CAST(:{name} AS {kind}[])' for name, kind in _COLUMNS.items())}) "
    "ON CONFLICT (person_id, kind, period) DO NOTHING RETURNING 1) SELECT count(*) FROM written"
)


def _row(p: PlannedDelivery, now: datetime) -> dict:
    """Every column written explicitly: the PostgreSQL statement is raw SQL, so no model default would run.
    The Message-ID token (issue 15) and the disclosure record key (issue 14) are random per delivery."""
    due = as_utc(p.due_at).replace(tzinfo=None)
    return {
        "person_id": p.person_id,
        "kind": p.kind,
        "parent_id": p.parent_id,
        "months": p.months,
        "period": p.period,
        "lesson_id": p.lesson_id,
        "lesson_version": p.lesson_version,
        "is_review": p.is_review,
        "channel": p.channel,
        "role": p.role,
        "team_id": p.team_id,
        "agency": p.agency,
        "status": DeliveryStatus.PENDING.value,
        "due_at": due,
        "first_due_at": due,
        "attempts": 0,
        "created_at": as_utc(now).replace(tzinfo=None),
        "message_token": uuid4().hex,
        "record_key": new_record_key(),
    }


def insert_planned(session: Session, *, planned: list[PlannedDelivery], now: datetime) -> int:
    """Write planned deliveries; a slot already written (by us or another process) is skipped. Returns how
    many were written."""
    postgres = session.get_bind().dialect.name == "postgresql"
    inserted = 0
    for start in range(0, len(planned), INSERT_BATCH):
        rows = [_row(p, now) for p in planned[start : start + INSERT_BATCH]]
        if postgres:
            inserted += session.execute(_PG_INSERT, {name: [row[name] for row in rows] for name in _COLUMNS}).scalar_one()
        else:  # SQLite: one executemany of a cached statement; sqlite3 sums its row count over the batch
            stmt = sqlite_insert(SQLModel.metadata.tables["delivery"]).on_conflict_do_nothing(
                index_elements=["person_id", "kind", "period"]
            )
            inserted += session.connection().execute(stmt, rows).rowcount
    return inserted


ANALYZE_AFTER = 1000  # rows written in one planning pass


def refresh_statistics(engine: Engine, inserted: int) -> None:
    """PostgreSQL plans the dispatcher's claims from its statistics of the outbox, which autovacuum refreshes
    a minute later at best: right after a week's rows are written they still say nothing is due, and each
    claim then reads and sorts every due row instead of taking the next ones from the (status, due_at)
    index, which makes a burst quadratic. So a planning pass that wrote many rows refreshes them."""
    if inserted >= ANALYZE_AFTER and engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            connection.exec_driver_sql("ANALYZE delivery")
            connection.commit()


def claim_due(db: leases.Db, *, now: datetime, limit: int, claimant: Claimant) -> list[int]:
    """Claim up to `limit` due rows (or rows whose holder's lease ran out) for `claimant`."""
    ready = and_(col(Delivery.status) == DeliveryStatus.PENDING, col(Delivery.due_at) <= now)
    # By due time only: the index on (status, due_at) gives that order as it is, while a tie-break on id
    # would sort every row due at the same minute (often everyone's) on each claim. Rows due together come
    # in the index's order (on SQLite, by id).
    return leases.claim(db, Delivery, ready=ready, claimant=claimant, now=now, limit=limit, order_by=(Delivery.due_at,))


@dataclass(frozen=True)
class Outcome:
    delivery_id: int
    channel: str
    outcome: str  # sent | retry | failed | expired | cancelled | fell_back (this channel failed for good; email is next)
    detail: str | None = None
    retry_at: datetime | None = None
    fallback_reason: str | None = None
    external_ref: str | None = None  # the chat message id, so a reply can update the message


_INSERT_ATTEMPTS = insert(DeliveryAttempt)  # built once: outcomes are written many times a second


@functools.cache
def _pg_record(sent: tuple[tuple[str, ...], ...], other: tuple[tuple[str, ...], ...]) -> Any:
    """PostgreSQL: the attempts inserted from arrays, with the finish of each group of rows (by the columns
    it sets) as a CTE; built once per shape."""
    given = leases.unnest(DeliveryAttempt, ("delivery_id", "channel", "outcome", "detail"), "a_")
    attempts = insert(DeliveryAttempt).from_select(
        ["delivery_id", "channel", "outcome", "detail", "at"],
        sql_select(given.c.delivery_id, given.c.channel, given.c.outcome, given.c.detail, bindparam("a_at", type_=UTCDateTime)),
    )
    finishes = [leases.finish_update(Delivery, columns, False, f"s{i}_") for i, columns in enumerate(sent)]
    finishes += [leases.finish_update(Delivery, columns, True, f"o{i}_") for i, columns in enumerate(other)]
    return attempts.add_cte(*(update.cte(f"finish_{i}") for i, update in enumerate(finishes)))


_FINAL = {"failed": DeliveryStatus.FAILED, "expired": DeliveryStatus.EXPIRED, "cancelled": DeliveryStatus.CANCELLED}


def _new_values(o: Outcome, now: datetime) -> dict | None:
    if o.outcome == "sent":
        values: dict = {"status": DeliveryStatus.SENT, "sent_at": now}
        if o.external_ref:
            values["external_ref"] = o.external_ref
    elif o.outcome == "retry":
        values = {"status": DeliveryStatus.PENDING, "due_at": o.retry_at, "last_error": o.detail}
    elif o.outcome in _FINAL:
        values = {"status": _FINAL[o.outcome], "last_error": o.detail}
    else:  # fell_back: only the attempt is written; the row stays claimed for the email send
        return None
    if o.fallback_reason:  # the row now belongs to email, and says why
        values |= {"channel": o.channel, "fallback_reason": o.fallback_reason}
    return values


def record_outcomes(db: leases.Db, *, outcomes: list[Outcome], now: datetime, claimant: Claimant) -> None:
    """Write every attempt and move each row on (sent, back to pending, failed, expired, cancelled), in one
    transaction. A message that went out is marked sent even if this claimant's lease ran out meanwhile,
    so nobody sends it again; any other outcome is written only while the claim is still held.

    On PostgreSQL this is one statement, so it is atomic on an autocommit connection too (the dispatcher's
    recorder runs it so); tests/schedules/test_outbox.py holds it to one."""
    connection = leases.connection_of(db)
    sent: list[tuple[int, dict[str, Any]]] = []
    other: list[tuple[int, dict[str, Any]]] = []
    for o in outcomes:
        values = _new_values(o, now)
        if values is not None:
            (sent if o.outcome == "sent" else other).append((o.delivery_id, values))
    if connection.dialect.name == "postgresql":
        # One statement: the attempts, and each finish as a data-modifying CTE. The dispatcher's senders wait
        # for this commit, so one round trip instead of one a statement is what they wait less.
        sent_groups, other_groups = leases.by_columns(sent), leases.by_columns(other)
        params: dict[str, Any] = {
            "a_at": now,
            "a_delivery_id": [o.delivery_id for o in outcomes],
            "a_channel": [o.channel for o in outcomes],
            "a_outcome": [o.outcome for o in outcomes],
            "a_detail": [o.detail for o in outcomes],
        }
        for i, (columns, batch) in enumerate(sent_groups.items()):
            params |= leases.finish_params(batch, columns, claimant=claimant, held_only=False, prefix=f"s{i}_")
        for i, (columns, batch) in enumerate(other_groups.items()):
            params |= leases.finish_params(batch, columns, claimant=claimant, held_only=True, prefix=f"o{i}_")
        connection.execute(_pg_record(tuple(sent_groups), tuple(other_groups)), params)
    else:
        connection.execute(
            _INSERT_ATTEMPTS,
            [
                {"delivery_id": o.delivery_id, "at": now, "channel": o.channel, "outcome": o.outcome, "detail": o.detail}
                for o in outcomes
            ],
        )
        leases.finish(connection, Delivery, sent, claimant=claimant, held_only=False)
        leases.finish(connection, Delivery, other, claimant=claimant)
    db.commit()
