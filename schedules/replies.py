"""Record a reply to a delivery, idempotently, and update that person's spacing card."""
import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from lesson_bank.model import Lesson
from schedules import spacing
from schedules.models import Delivery, Practice, Reply, SpacingCard


REFLECTION_LIMIT = 2000  # what every editing surface accepts (Slack's modal, the Teams card, the web page)


def fit_reflection(text: str, limit: int = REFLECTION_LIMIT) -> tuple[str, bool]:
    """Redaction lengthens text ("Al" becomes "[name removed]"), so a reflection that was within the limit
    can exceed it once stored. Shorten it to the limit at a word boundary, never inside a "[... removed]"
    marker, and say so (True) so the writer is told."""
    if len(text) <= limit:
        return text, False
    cut = text[: limit - 1]
    if cut.rfind("[") > cut.rfind("]"):
        cut = cut[: cut.rfind("[")]
    elif " " in cut[limit // 2:]:
        cut = cut[: cut.rfind(" ")]
    return cut.rstrip() + "…", True


class ReplyError(ValueError):
    pass


@dataclass(frozen=True)
class Answer:
    check_answer: int | None = None
    practice: str | None = None
    reflection: str | None = None

    def validate(self, lesson: Lesson) -> None:
        if self.check_answer is not None and not 1 <= self.check_answer <= len(lesson.check.options):
            raise ReplyError(f"answer must be between 1 and {len(lesson.check.options)}")
        if self.practice is not None and self.practice not in {p.value for p in Practice}:
            raise ReplyError(f"'{self.practice}' is not one of {', '.join(p.value for p in Practice)}")


def _merge(reply: Reply, answer: Answer, lesson: Lesson) -> None:
    if answer.check_answer is not None:
        reply.check_answer = answer.check_answer
        reply.check_correct = lesson.check.is_right(answer.check_answer)
    if answer.practice is not None:
        reply.practice = answer.practice
    if answer.reflection is not None and answer.reflection.strip():
        reply.reflection = answer.reflection.strip()


def _apply_spacing(session: Session, reply: Reply, delivery: Delivery, is_new: bool) -> None:
    card = session.exec(
        select(SpacingCard).where(SpacingCard.person_id == delivery.person_id, SpacingCard.lesson_id == delivery.lesson_id)
    ).first()
    if not is_new and (card is None or card.last_delivery_id != delivery.id):
        return  # a later review has moved the card on; changing an old answer must not rewind it
    if is_new:
        reply.card_before_json = card.card_json if card else None
    rating = spacing.rating_for(reply.check_correct, reply.practice)
    reviewed_at = reply.created_at
    if rating is None:  # not relevant: the card is kept, retired, so the lesson is never sent again
        card_json = reply.card_before_json or json.dumps(spacing.new_card(delivery.person_id, delivery.lesson_id, reviewed_at).to_dict())
        due_at = reviewed_at
    else:
        result = spacing.review(reply.card_before_json, delivery.person_id, delivery.lesson_id, rating, reviewed_at)
        card_json, due_at = result.card_json, result.due_at
    if card is None:
        card = SpacingCard(person_id=delivery.person_id, lesson_id=delivery.lesson_id, card_json="", due_at=reviewed_at, last_review_at=reviewed_at)
    card.card_json, card.due_at, card.last_review_at = card_json, due_at, reviewed_at
    card.retired, card.last_delivery_id = rating is None, delivery.id
    reply.rating = int(rating) if rating is not None else None
    session.add(card)


def record_reply(session: Session, *, delivery: Delivery, lesson: Lesson, answer: Answer, now: datetime) -> Reply:
    """Create or update the one reply for this delivery. A repeat POST updates; it never duplicates."""
    answer.validate(lesson)
    for _ in range(2):
        reply = session.exec(select(Reply).where(Reply.delivery_id == delivery.id)).first()
        is_new = reply is None
        if is_new:
            reply = Reply(delivery_id=delivery.id, person_id=delivery.person_id, lesson_id=delivery.lesson_id,
                          lesson_version=delivery.lesson_version, created_at=now, updated_at=now)
        _merge(reply, answer, lesson)
        reply.updated_at = now
        _apply_spacing(session, reply, delivery, is_new)
        session.add(reply)
        try:
            session.commit()
            return reply
        except IntegrityError:
            session.rollback()  # another request created it first: go round again and update that one
    raise ReplyError("could not record the reply; please try again")

