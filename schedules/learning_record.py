"""One person's own learning record (issue 13): the nudges they were sent, their answers and reflections,
and their follow-ups. Reads only that person's rows; nothing here is ever grouped or shown to anyone else."""
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_
from sqlalchemy.orm import aliased
from sqlmodel import Session, select

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


def record_rows(session: Session, *, person_id: int) -> list[RecordRow]:
    """Their sent nudges, oldest first, each with its reply and its follow-up and answer (if any)."""
    followup = aliased(Delivery)
    query = (
        select(Delivery.id, Delivery.lesson_id, Delivery.lesson_version, Delivery.sent_at, Delivery.is_review,
               Reply.check_correct, Reply.practice, Reply.reflection, Reply.created_at,
               followup.sent_at, FollowUpAnswer.outcome, FollowUpAnswer.barrier)
        .select_from(Delivery)
        .outerjoin(Reply, Reply.delivery_id == Delivery.id)
        .outerjoin(followup, and_(followup.parent_id == Delivery.id, followup.kind == "followup",
                                  followup.status == DeliveryStatus.SENT))
        .outerjoin(FollowUpAnswer, FollowUpAnswer.delivery_id == followup.id)
        .where(Delivery.person_id == person_id, Delivery.kind == "nudge", Delivery.status == DeliveryStatus.SENT)
        .order_by(Delivery.sent_at, Delivery.id)
    )
    return [RecordRow(*row) for row in session.exec(query)]
