"""People's rights and retention: export, forget, pause, leave; delete old replies keeping anonymous counts."""

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, func, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import Select

from schedules.supervision import export_shares, forget_shares
from schedules.voice_privacy import export_voice, forget_voice
from schedules.models import (
    AuditEvent,
    Delivery,
    DeliveryAttempt,
    DeliveryStatus,
    FollowUpAnswer,
    Person,
    PersonStatus,
    Reply,
    ReplyTally,
    SpacingCard,
    Team,
)
from schedules.slots import week_key

FORGOTTEN = "a forgotten person"
# Every table forget_person deletes from or rewrites (their freed space is scrubbed afterwards).
FORGET_TABLES = ("person", "reply", "delivery", "deliveryattempt", "spacingcard", "auditevent", "team", "supervisionshare")


def _plain(row: Any) -> dict:
    data = row.model_dump()
    return {k: (v.isoformat() if isinstance(v, (date, datetime)) else v) for k, v in data.items()}


def export_person(session: Session, *, person: Person) -> dict:
    """Everything held about one person, as they could ask for it."""
    assert person.id is not None  # a stored person
    team = session.get(Team, person.team_id) if person.team_id else None
    deliveries = session.exec(select(Delivery).where(Delivery.person_id == person.id).order_by(col(Delivery.id))).all()
    ids = [d.id for d in deliveries]
    voice = export_voice(session, person_id=person.id) | export_shares(session, person_id=person.id)  # issue 17
    return {
        "person": _plain(person),
        "team": team.name if team else None,
        "deliveries": [_plain(d) for d in deliveries],
        "delivery_attempts": [
            _plain(a) for a in session.exec(select(DeliveryAttempt).where(col(DeliveryAttempt.delivery_id).in_(ids)))
        ],
        "replies": [_plain(r) for r in session.exec(select(Reply).where(Reply.person_id == person.id))],
        "spacing_cards": [_plain(c) for c in session.exec(select(SpacingCard).where(SpacingCard.person_id == person.id))],
        "followup_answers": [
            _plain(a) for a in session.exec(select(FollowUpAnswer).where(FollowUpAnswer.person_id == person.id))
        ],
        "audit_events": [_plain(e) for e in session.exec(select(AuditEvent).where(AuditEvent.actor == person.email))],
    } | voice


def cancel_pending(session: Session, *, person_id: int, reason: str) -> int:
    result = session.exec(
        update(Delivery)
        .where(col(Delivery.person_id) == person_id, col(Delivery.status) == DeliveryStatus.PENDING)
        .values(status=DeliveryStatus.CANCELLED, last_error=reason)
    )
    return result.rowcount or 0


def set_status(session: Session, *, person: Person, status: str, paused_until: date | None = None) -> None:
    """Pause, leave or resume. Anything not yet sent is cancelled at once when nudges stop."""
    person.status, person.paused_until = status, paused_until
    session.add(person)
    if status != PersonStatus.ACTIVE:
        assert person.id is not None  # a stored person
        cancel_pending(session, person_id=person.id, reason=f"person {status}")


@dataclass(frozen=True)
class Forgotten:
    delivery_ids: tuple[int, ...]  # their outbox files are removed by the caller
    replies: int


def forget_person(session: Session, *, person: Person) -> Forgotten:
    """Remove a person's personal data everywhere; group snapshots (role, team, agency) and answers stay as
    anonymous counts. The caller commits, with its audit event."""
    delivery_ids = tuple(
        i for i in session.exec(select(col(Delivery.id)).where(Delivery.person_id == person.id)) if i is not None
    )
    replies = (
        session.exec(
            update(Reply).where(col(Reply.person_id) == person.id).values(person_id=None, reflection=None, card_before_json=None)
        ).rowcount
        or 0
    )
    session.execute(update(DeliveryAttempt).where(col(DeliveryAttempt.delivery_id).in_(delivery_ids)).values(detail=None))
    session.execute(
        update(Delivery)
        .where(col(Delivery.person_id) == person.id)
        .values(person_id=None, last_error=None, fallback_reason=None, external_ref=None, claimed_by=None)
    )
    session.execute(
        update(Delivery)
        .where(col(Delivery.id).in_(delivery_ids), col(Delivery.status) == DeliveryStatus.PENDING)
        .values(status=DeliveryStatus.CANCELLED)
    )
    session.execute(delete(SpacingCard).where(col(SpacingCard.person_id) == person.id))
    session.execute(update(FollowUpAnswer).where(col(FollowUpAnswer.person_id) == person.id).values(person_id=None, barrier=None))
    session.execute(update(AuditEvent).where(col(AuditEvent.actor) == person.email).values(actor=FORGOTTEN))
    for event in session.exec(select(AuditEvent).where(col(AuditEvent.detail).contains(person.email))):
        event.detail = event.detail.replace(person.email, FORGOTTEN)
        session.add(event)
    session.execute(update(Team).where(col(Team.lead_person_id) == person.id).values(lead_person_id=None))
    assert person.id is not None  # a stored person
    forget_voice(session, person_id=person.id)  # issue 17: proposals lose their author, received notes go
    forget_shares(session, person_id=person.id)  # issue 17 part 5: every link they shared stops working
    session.delete(person)
    return Forgotten(delivery_ids, replies)


def purge_old_replies(session: Session, *, before: datetime) -> int:
    """Delete replies (and reflections) made before `before`, adding them to anonymous counts first."""
    # sqlmodel's select() is typed for at most four columns; for more it builds this same Select.
    picked: Select[datetime, str, str | None, bool | None, str, int | None, str] = Select(
        col(Reply.created_at),
        col(Reply.lesson_id),
        col(Reply.practice),
        col(Reply.check_correct),
        col(Delivery.role),
        col(Delivery.team_id),
        col(Delivery.agency),
    )
    old = picked.join(Delivery, col(Delivery.id) == Reply.delivery_id).where(Reply.created_at < before)
    cells: dict[tuple, int] = {}
    for created, lesson_id, practice, correct, role, team_id, agency in session.exec(old):
        check = "" if correct is None else ("right" if correct else "wrong")
        key = (week_key(created.date()), lesson_id, role or "", team_id or 0, agency or "", practice or "", check)
        cells[key] = cells.get(key, 0) + 1
    if cells:
        insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
        columns = ("week", "lesson_id", "role", "team_id", "agency", "practice", "check")
        stmt = insert(ReplyTally)
        stmt = stmt.on_conflict_do_update(index_elements=list(columns), set_={"count": ReplyTally.count + stmt.excluded["count"]})
        session.execute(stmt, [dict(zip(columns, key)) | {"count": n} for key, n in cells.items()])
    deleted = session.exec(delete(Reply).where(col(Reply.created_at) < before)).rowcount or 0
    return deleted


def purge_old_answer_lines(session: Session, *, before: datetime) -> int:
    """Clear the optional line ("what got in the way", or an impact answer's line) of follow-up and impact
    answers made before `before`: the same retention as a reflection. The answer itself stays, as the
    anonymous count it is in the figures."""
    old = update(FollowUpAnswer).where(col(FollowUpAnswer.created_at) < before, col(FollowUpAnswer.barrier).is_not(None))
    return session.exec(old.values(barrier=None)).rowcount or 0


def tally_total(session: Session) -> int:
    return session.exec(select(func.coalesce(func.sum(ReplyTally.count), 0))).one()
