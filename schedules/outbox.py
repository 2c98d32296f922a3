"""The deliveries outbox: idempotent writes from the planner, safe claims by dispatchers, attempt records."""
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import uuid4

from sqlalchemy import and_, insert
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from schedules import leases
from schedules.leases import Claimant
from schedules.models import Delivery, DeliveryAttempt, DeliveryStatus, SpacingCard
from schedules.planner import CardState, History, PlannedDelivery

INSERT_BATCH = 1000


def histories(session: Session, *, person_ids: list[int]) -> dict[int, History]:
    """These people's planned weeks, last delivery per lesson, and spacing cards, in two queries."""
    periods: dict[int, set[str]] = {}
    delivered: dict[int, dict[str, datetime]] = {}
    rows = session.exec(select(Delivery.person_id, Delivery.period, Delivery.lesson_id, Delivery.due_at)
                        .where(Delivery.kind == "nudge", col(Delivery.person_id).in_(person_ids)))
    for person_id, period, lesson_id, due_at in rows:
        assert person_id is not None  # selected by person id
        periods.setdefault(person_id, set()).add(period)
        last = delivered.setdefault(person_id, {})
        last[lesson_id] = max(due_at, last.get(lesson_id, due_at))
    cards: dict[int, dict[str, CardState]] = {}
    for card in session.exec(select(SpacingCard).where(col(SpacingCard.person_id).in_(person_ids))):
        cards.setdefault(card.person_id, {})[card.lesson_id] = CardState(card.due_at, card.last_review_at, card.retired)
    return {pid: History(frozenset(periods.get(pid, ())), delivered.get(pid, {}), cards.get(pid, {})) for pid in set(periods) | set(cards)}


def insert_planned(session: Session, *, planned: list[PlannedDelivery], now: datetime) -> int:
    """Write planned deliveries; a slot already written (by us or another process) is skipped."""
    dialect = session.get_bind().dialect.name
    dialect_insert = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = dialect_insert(Delivery).on_conflict_do_nothing(index_elements=["person_id", "kind", "period"]).returning(col(Delivery.id))
    inserted = 0
    for start in range(0, len(planned), INSERT_BATCH):
        values = [
            {"person_id": p.person_id, "kind": p.kind, "parent_id": p.parent_id, "period": p.period, "lesson_id": p.lesson_id,
             "lesson_version": p.lesson_version, "is_review": p.is_review, "channel": p.channel,
             "role": p.role, "team_id": p.team_id, "agency": p.agency,
             "status": DeliveryStatus.PENDING, "due_at": p.due_at, "first_due_at": p.due_at, "attempts": 0,
             "created_at": now, "message_token": uuid4().hex}
            for p in planned[start : start + INSERT_BATCH]
        ]
        inserted += len(session.execute(stmt, values).all())
    return inserted


def claim_due(session: Session, *, now: datetime, limit: int, claimant: Claimant) -> list[int]:
    """Claim up to `limit` due rows (or rows whose holder's lease ran out) for `claimant`."""
    ready = and_(col(Delivery.status) == DeliveryStatus.PENDING, col(Delivery.due_at) <= now)
    return leases.claim(session, Delivery, ready=ready, claimant=claimant, now=now, limit=limit,
                        order_by=(Delivery.due_at, Delivery.id))


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
    session.connection().execute(_INSERT_ATTEMPTS, [
        {"delivery_id": o.delivery_id, "at": now, "channel": o.channel, "outcome": o.outcome, "detail": o.detail}
        for o in outcomes
    ])
    sent: list[tuple[int, dict[str, Any]]] = []
    other: list[tuple[int, dict[str, Any]]] = []
    for o in outcomes:
        values = _new_values(o, now)
        if values is not None:
            (sent if o.outcome == "sent" else other).append((o.delivery_id, values))
    leases.finish(session, Delivery, sent, claimant=claimant, held_only=False)
    leases.finish(session, Delivery, other, claimant=claimant)
    session.commit()
