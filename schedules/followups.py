"""Record the answer to a follow-up ("did you try it?", issue 13) or an impact question ("has it made a
difference?", issue 17), idempotently, apart from the nudge's first reply. One path for both: they differ
only in the answers they offer."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from schedules.impact_planner import SCALE
from schedules.models import Delivery, FollowUpAnswer
from schedules.replies import ReplyError

OUTCOMES = ("helped", "not_fit", "not_yet", "not_relevant")
OUTCOMES_BY_KIND = {"followup": OUTCOMES, "impact": tuple(value for value, _ in SCALE)}
BARRIER_LIMIT = 300


@dataclass(frozen=True)
class FollowUpReply:
    outcome: str | None = None
    barrier: str | None = None  # already redacted by the caller (bot.core.replying)

    def validate(self, outcomes: tuple[str, ...] = OUTCOMES) -> None:
        if self.outcome is not None and self.outcome not in outcomes:
            raise ReplyError(f"field 'outcome': '{self.outcome[:30]}' is not one of {', '.join(outcomes)}")
        if self.barrier is not None and len(self.barrier) > BARRIER_LIMIT:
            raise ReplyError(f"field 'barrier' is longer than {BARRIER_LIMIT} characters")
        if self.outcome is None and not (self.barrier or "").strip():
            raise ReplyError("nothing to save: choose an answer or write a line")


def record_followup(session: Session, *, delivery: Delivery, answer: FollowUpReply, now: datetime) -> FollowUpAnswer:
    """Create or update the one answer to this follow-up or impact question. A repeat press updates; it never
    duplicates."""
    if delivery.kind not in OUTCOMES_BY_KIND:
        raise ReplyError("this link is not for a follow-up or an impact question")
    answer.validate(OUTCOMES_BY_KIND[delivery.kind])
    for _ in range(2):
        row = session.exec(select(FollowUpAnswer).where(FollowUpAnswer.delivery_id == delivery.id)).first()
        if row is None:
            assert delivery.id is not None  # a stored delivery
            row = FollowUpAnswer(
                delivery_id=delivery.id,
                person_id=delivery.person_id,
                lesson_id=delivery.lesson_id,
                created_at=now,
                updated_at=now,
            )
        if answer.outcome is not None:
            row.outcome = answer.outcome
        if answer.barrier is not None and answer.barrier.strip():
            row.barrier = answer.barrier.strip()
        row.updated_at = now
        session.add(row)
        try:
            session.commit()
            return row
        except IntegrityError:
            session.rollback()
    raise ReplyError("could not record the answer; please try again")
