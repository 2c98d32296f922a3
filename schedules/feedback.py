"""Feedback for lesson authors: per lesson, how often it was marked not relevant (and by which roles)
and how often its knowledge check was answered wrongly. True counts, each with the sum of its
deliveries' record keys and the number of distinct people behind it, so the caller can publish them
under the same disclosure control as every statistic (digests/disclosure.py)."""

from dataclasses import dataclass, field

from sqlalchemy import case, distinct, func
from sqlmodel import Session, select

from schedules.models import Delivery, DeliveryStatus, Reply

MEASURES = ("sent", "replies", "checks_answered", "checks_wrong", "not_relevant")


@dataclass(frozen=True)
class Counted:
    people: int
    counts: dict[str, int]
    keys: dict[str, int]


@dataclass
class LessonFeedback:
    lesson_id: str
    total: Counted
    roles: dict[str, Counted] = field(default_factory=dict)  # the not-relevant answers by the role the nudge went to


def _columns():
    key = Delivery.record_key
    wrong, irrelevant = Reply.check_correct.is_(False), Reply.practice == "not_relevant"
    counts = (
        func.count(Delivery.id),
        func.count(Reply.id),
        func.count(Reply.check_correct),
        func.sum(case((wrong, 1), else_=0)),
        func.sum(case((irrelevant, 1), else_=0)),
    )
    keys = (
        func.sum(key),
        func.sum(case((Reply.id.is_not(None), key), else_=0)),
        func.sum(case((Reply.check_correct.is_not(None), key), else_=0)),
        func.sum(case((wrong, key), else_=0)),
        func.sum(case((irrelevant, key), else_=0)),
    )
    return (func.count(distinct(Delivery.person_id)), *counts, *keys)


def _counted(row) -> Counted:
    values = [int(v or 0) for v in row]
    n = len(MEASURES)
    return Counted(values[0], dict(zip(MEASURES, values[1 : 1 + n])), dict(zip(MEASURES, values[1 + n :])))


def lesson_feedback(session: Session) -> list[LessonFeedback]:
    def query(*keys):
        base = select(*keys, *_columns()).select_from(Delivery).outerjoin(Reply, Reply.delivery_id == Delivery.id)
        return base.where(Delivery.kind == "nudge", Delivery.status == DeliveryStatus.SENT).group_by(*keys)

    rows = {lesson: LessonFeedback(lesson, _counted(rest)) for lesson, *rest in session.exec(query(Delivery.lesson_id))}
    for lesson, role, *rest in session.exec(query(Delivery.lesson_id, Delivery.role)):
        rows[lesson].roles[role or "unknown"] = _counted(rest)
    return list(rows.values())
