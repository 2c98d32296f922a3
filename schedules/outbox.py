"""The deliveries outbox: idempotent writes from the planner, safe claims by dispatchers, attempt records."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import uuid4

from sqlalchemy import and_, insert, text
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, SQLModel, col, select
from sqlmodel.sql.expression import Select

from schedules import leases
from schedules.leases import Claimant
from schedules.models import Delivery, DeliveryAttempt, DeliveryStatus, SpacingCard
from schedules.disclosure_constants import new_record_key
from schedules.id_sets import in_ids
from schedules.planner import CardState, History, PlannedDelivery
from schedules.timeutil import as_utc

INSERT_BATCH = 1000


def histories(session: Session, *, person_ids: list[int]) -> dict[int, History]:
    """These people's planned weeks, last delivery per lesson, and spacing cards, in two queries."""
    periods: dict[int, set[str]] = {}
    delivered: dict[int, dict[str, datetime]] = {}
    rows = session.exec(
        select(Delivery.person_id, Delivery.period, Delivery.lesson_id, Delivery.due_at).where(
            Delivery.kind == "nudge", in_ids(session, col(Delivery.person_id), person_ids)
        )
    )
    for person_id, period, lesson_id, due_at in rows:
        assert person_id is not None  # selected by person id
        periods.setdefault(person_id, set()).add(period)
        last = delivered.setdefault(person_id, {})
        last[lesson_id] = max(due_at, last.get(lesson_id, due_at))
    cards: dict[int, dict[str, CardState]] = {}
    # columns, not ORM objects (each would carry its card_json); sqlmodel's select() is typed for at most four
    # columns, so this builds the same Select itself
    card_columns: Select[int, str, datetime, datetime, bool] = Select(
        col(SpacingCard.person_id),
        col(SpacingCard.lesson_id),
        col(SpacingCard.due_at),
        col(SpacingCard.last_review_at),
        col(SpacingCard.retired),
    )
    card_rows = session.execute(card_columns.where(in_ids(session, col(SpacingCard.person_id), person_ids)))
    for person_id, lesson_id, card_due, last_review_at, retired in card_rows:
        cards.setdefault(person_id, {})[lesson_id] = CardState(card_due, last_review_at, retired)
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


def claim_due(session: Session, *, now: datetime, limit: int, claimant: Claimant) -> list[int]:
    """Claim up to `limit` due rows (or rows whose holder's lease ran out) for `claimant`."""
    ready = and_(col(Delivery.status) == DeliveryStatus.PENDING, col(Delivery.due_at) <= now)
    return leases.claim(
        session, Delivery, ready=ready, claimant=claimant, now=now, limit=limit, order_by=(Delivery.due_at, Delivery.id)
    )


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


def record_outcomes(session: Session, *, outcomes: list[Outcome], now: datetime, claimant: Claimant) -> None:
    """Write every attempt and move each row on (sent, back to pending, failed, expired, cancelled), in one
    transaction. A message that went out is marked sent even if this claimant's lease ran out meanwhile,
    so nobody sends it again; any other outcome is written only while the claim is still held."""
    session.connection().execute(
        _INSERT_ATTEMPTS,
        [
            {"delivery_id": o.delivery_id, "at": now, "channel": o.channel, "outcome": o.outcome, "detail": o.detail}
            for o in outcomes
        ],
    )
    sent: list[tuple[int, dict[str, Any]]] = []
    other: list[tuple[int, dict[str, Any]]] = []
    for o in outcomes:
        values = _new_values(o, now)
        if values is not None:
            (sent if o.outcome == "sent" else other).append((o.delivery_id, values))
    leases.finish(session, Delivery, sent, claimant=claimant, held_only=False)
    leases.finish(session, Delivery, other, claimant=claimant)
    session.commit()
