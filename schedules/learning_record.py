"""One person's own learning record (issue 13): the nudges they were sent, their answers and reflections,
their follow-ups and impact answers (issue 17). Reads only that person's rows; nothing here is ever grouped or shown to anyone else."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_
from sqlalchemy.orm import aliased
from sqlmodel import Session, col
from sqlmodel.sql.expression import Select

from schedules.models import Delivery, DeliveryStatus, FollowUpAnswer, Reply


@dataclass(frozen=True)
class RecordRow:
    delivery_id: int
    lesson_id: str
    lesson_version: str
    sent_at: datetime
    is_review: bool
    check_correct: bool | None = None
    practice: str | None = None
    reflection: str | None = None
    replied_at: datetime | None = None
    followup_sent_at: datetime | None = None
    followup_outcome: str | None = None
    followup_barrier: str | None = None
    impact: tuple[tuple[datetime, int, str | None, str | None], ...] = ()  # (asked, months, answer, line), issue 17


def record_rows(session: Session, *, person_id: int) -> list[RecordRow]:
    """Their sent nudges, oldest first, each with its reply and its follow-up and answer (if any)."""
    followup = aliased(Delivery)
    # sqlmodel's select() is typed for at most four columns; for more it builds this same Select.
    # The reply, follow-up and answer columns come from outer joins, so each may be None.
    picked: Select[
        int | None,
        str,
        str,
        datetime | None,
        bool,
        bool | None,
        str | None,
        str | None,
        datetime | None,
        datetime | None,
        str | None,
        str | None,
    ] = Select(
        col(Delivery.id),
        col(Delivery.lesson_id),
        col(Delivery.lesson_version),
        col(Delivery.sent_at),
        col(Delivery.is_review),
        col(Reply.check_correct),
        col(Reply.practice),
        col(Reply.reflection),
        col(Reply.created_at),
        col(followup.sent_at),
        col(FollowUpAnswer.outcome),
        col(FollowUpAnswer.barrier),
    )
    query = (
        picked.select_from(Delivery)
        .outerjoin(Reply, col(Reply.delivery_id) == Delivery.id)
        .outerjoin(
            followup,
            and_(
                col(followup.parent_id) == Delivery.id,
                col(followup.kind) == "followup",
                col(followup.status) == DeliveryStatus.SENT,
            ),
        )
        .outerjoin(FollowUpAnswer, col(FollowUpAnswer.delivery_id) == followup.id)
        .where(Delivery.person_id == person_id, Delivery.kind == "nudge", Delivery.status == DeliveryStatus.SENT)
        .order_by(col(Delivery.sent_at), col(Delivery.id))
    )
    impact = impact_answers(session, person_id=person_id)
    rows = []
    for row in session.exec(query):
        # The columns are picked in RecordRow's order; only the id and send time need narrowing.
        delivery_id, lesson_id, version, sent_at = row[:4]
        assert delivery_id is not None and sent_at is not None  # a stored delivery, selected as sent
        rows.append(RecordRow(delivery_id, lesson_id, version, sent_at, *row[4:], impact=tuple(impact.get(delivery_id, ()))))
    return rows


def impact_answers(session: Session, *, person_id: int) -> dict[int, list[tuple[datetime, int, str | None, str | None]]]:
    """Their impact questions (issue 17) that went out, by the nudge each asked about, oldest first."""
    found: dict[int, list[tuple[datetime, int, str | None, str | None]]] = {}
    picked: Select[int | None, datetime | None, int | None, str | None, str | None] = Select(
        col(Delivery.parent_id),
        col(Delivery.sent_at),
        col(Delivery.months),
        col(FollowUpAnswer.outcome),
        col(FollowUpAnswer.barrier),
    )
    query = (
        picked.select_from(Delivery)
        .outerjoin(FollowUpAnswer, col(FollowUpAnswer.delivery_id) == Delivery.id)
        .where(Delivery.person_id == person_id, Delivery.kind == "impact", Delivery.status == DeliveryStatus.SENT)
        .order_by(col(Delivery.sent_at))
    )
    for parent_id, sent_at, months, outcome, line in session.exec(query):
        if parent_id is not None and sent_at is not None:
            found.setdefault(parent_id, []).append((sent_at, months or 0, outcome, line))
    return found
