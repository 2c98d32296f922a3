"""The deliveries outbox: idempotent writes from the planner, safe claims by dispatchers, attempt records."""
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import uuid4

from sqlalchemy import and_, insert, or_, text, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, select

from schedules.models import Delivery, DeliveryAttempt, DeliveryStatus, SpacingCard
from schedules.planner import CardState, History, PlannedDelivery
from schedules.timeutil import as_utc

INSERT_BATCH = 1000


def histories(session: Session, *, person_ids: list[int]) -> dict[int, History]:
    """These people's planned weeks, last delivery per lesson, and spacing cards, in two queries."""
    periods: dict[int, set[str]] = {}
    delivered: dict[int, dict[str, datetime]] = {}
    rows = session.exec(select(Delivery.person_id, Delivery.period, Delivery.lesson_id, Delivery.due_at)
                        .where(Delivery.kind == "nudge", Delivery.person_id.in_(person_ids)))
    for person_id, period, lesson_id, due_at in rows:
        periods.setdefault(person_id, set()).add(period)
        last = delivered.setdefault(person_id, {})
        last[lesson_id] = max(due_at, last.get(lesson_id, due_at))
    cards: dict[int, dict[str, CardState]] = {}
    for card in session.exec(select(SpacingCard).where(SpacingCard.person_id.in_(person_ids))):
        cards.setdefault(card.person_id, {})[card.lesson_id] = CardState(card.due_at, card.last_review_at, card.retired)
    return {pid: History(frozenset(periods.get(pid, ())), delivered.get(pid, {}), cards.get(pid, {})) for pid in set(periods) | set(cards)}


_COLUMNS = {"person_id": "int", "kind": "text", "period": "text", "lesson_id": "text", "lesson_version": "text",
            "is_review": "bool", "channel": "text", "role": "text", "team_id": "int", "agency": "text", "status": "text",
            "due_at": "timestamp", "attempts": "int", "created_at": "timestamp"}
# PostgreSQL: one statement a batch whatever its size, 14 array parameters (not 14 a row), counting what it
# inserted in the server; no RETURNING row per delivery comes back to Python.
_PG_INSERT = text(
    f"WITH written AS (INSERT INTO delivery ({', '.join(_COLUMNS)}) "
    f"SELECT * FROM unnest({', '.join(f'CAST(:{name} AS {kind}[])' for name, kind in _COLUMNS.items())}) "
    "ON CONFLICT (person_id, kind, period) DO NOTHING RETURNING 1) SELECT count(*) FROM written"
)


def _row(p: PlannedDelivery, now: datetime) -> dict:
    return {"person_id": p.person_id, "kind": "nudge", "period": p.period, "lesson_id": p.lesson_id,
            "lesson_version": p.lesson_version, "is_review": p.is_review, "channel": p.channel, "role": p.role,
            "team_id": p.team_id, "agency": p.agency, "status": DeliveryStatus.PENDING.value,
            "due_at": as_utc(p.due_at).replace(tzinfo=None), "attempts": 0, "created_at": as_utc(now).replace(tzinfo=None)}


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
            stmt = sqlite_insert(Delivery.__table__).on_conflict_do_nothing(index_elements=["person_id", "kind", "period"])
            inserted += session.connection().execute(stmt, rows).rowcount
    return inserted


def _claimable(now: datetime, lease: timedelta):
    stale = and_(Delivery.status == DeliveryStatus.SENDING, Delivery.claimed_at < now - lease)
    return and_(or_(Delivery.status == DeliveryStatus.PENDING, stale), Delivery.due_at <= now)


def claim_due(session: Session, *, now: datetime, limit: int, lease: timedelta = timedelta(minutes=10)) -> list[int]:
    """Claim up to `limit` due rows for this caller. Two dispatchers never get the same row: the UPDATE
    re-checks the row's status, and PostgreSQL skips rows another claimer has locked."""
    candidates = select(Delivery.id).where(_claimable(now, lease)).order_by(Delivery.due_at, Delivery.id).limit(limit)
    if session.get_bind().dialect.name == "postgresql":
        candidates = candidates.with_for_update(skip_locked=True)
    ids = list(session.exec(candidates))
    if not ids:
        session.commit()
        return []
    token = uuid4().hex
    session.execute(
        update(Delivery).where(Delivery.id.in_(ids), _claimable(now, lease))
        .values(status=DeliveryStatus.SENDING, claimed_by=token, claimed_at=now, attempts=Delivery.attempts + 1)
    )
    claimed = list(session.exec(select(Delivery.id).where(Delivery.claimed_by == token).order_by(Delivery.id)))
    session.commit()
    return claimed


@dataclass(frozen=True)
class Outcome:
    delivery_id: int
    channel: str
    outcome: str  # sent | retry | failed | cancelled | fell_back (this channel failed for good; email is next)
    detail: str | None = None
    retry_at: datetime | None = None
    fallback_reason: str | None = None
    external_ref: str | None = None  # the chat message id, so a reply can update the message


def record_outcomes(session: Session, *, outcomes: list[Outcome], now: datetime) -> None:
    """Write every attempt, then move each row to sent, back to pending (retry) or failed."""
    session.execute(insert(DeliveryAttempt), [
        {"delivery_id": o.delivery_id, "at": now, "channel": o.channel, "outcome": o.outcome, "detail": o.detail}
        for o in outcomes
    ])
    plain_sent = [o.delivery_id for o in outcomes if o.outcome == "sent" and not (o.fallback_reason or o.external_ref)]
    if plain_sent:  # the common case, in one statement
        session.execute(update(Delivery).where(Delivery.id.in_(plain_sent)).values(status=DeliveryStatus.SENT, sent_at=now, claimed_by=None))
    for o in outcomes:
        if o.outcome == "sent" and (o.fallback_reason or o.external_ref):
            values = {"status": DeliveryStatus.SENT, "sent_at": now, "external_ref": o.external_ref}
        elif o.outcome == "retry":
            values = {"status": DeliveryStatus.PENDING, "due_at": o.retry_at, "last_error": o.detail}
        elif o.outcome == "failed":
            values = {"status": DeliveryStatus.FAILED, "last_error": o.detail}
        elif o.outcome == "cancelled":
            values = {"status": DeliveryStatus.CANCELLED, "last_error": o.detail}
        else:
            continue
        if o.fallback_reason:  # the row now belongs to email, and says why
            values |= {"channel": o.channel, "fallback_reason": o.fallback_reason}
        session.execute(update(Delivery).where(Delivery.id == o.delivery_id).values(claimed_by=None, **values))
    session.commit()
