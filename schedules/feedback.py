"""Feedback for lesson authors: per lesson, how often it was marked not relevant (and by which roles)
and how often its knowledge check was answered wrongly. Counts only; small counts are not shown exactly."""
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import func
from sqlmodel import Session, select

from schedules.models import Delivery, DeliveryStatus, Person, Reply


@dataclass
class LessonFeedback:
    lesson_id: str
    sent: int = 0
    replies: int = 0
    checks_answered: int = 0
    checks_wrong: int = 0
    not_relevant: int = 0
    not_relevant_roles: dict[str, int] = field(default_factory=dict)

    @property
    def wrong_rate(self) -> float | None:
        return round(self.checks_wrong / self.checks_answered, 2) if self.checks_answered else None


def lesson_feedback(session: Session) -> list[LessonFeedback]:
    rows: dict[str, LessonFeedback] = defaultdict(lambda: LessonFeedback(""))
    sent = select(Delivery.lesson_id, func.count()).where(Delivery.status == DeliveryStatus.SENT).group_by(Delivery.lesson_id)
    for lesson_id, count in session.exec(sent):
        rows[lesson_id].sent = count
    replies = select(Reply.lesson_id, Reply.check_correct, Reply.practice, Person.role).join(Delivery, Delivery.id == Reply.delivery_id).outerjoin(Person, Person.id == Delivery.person_id)
    for lesson_id, correct, practice, role in session.exec(replies):
        item = rows[lesson_id]
        item.replies += 1
        if correct is not None:
            item.checks_answered += 1
            item.checks_wrong += correct is False
        if practice == "not_relevant":
            item.not_relevant += 1
            key = role or "unknown"
            item.not_relevant_roles[key] = item.not_relevant_roles.get(key, 0) + 1
    for lesson_id, item in rows.items():
        item.lesson_id = lesson_id
    return sorted(rows.values(), key=lambda f: (-f.not_relevant, -(f.wrong_rate or 0), f.lesson_id))
