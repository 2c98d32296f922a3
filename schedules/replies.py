"""Record a reply to a delivery, idempotently, and update that person's spacing card."""

import json
from dataclasses import dataclass, field
from datetime import datetime
from collections.abc import Iterable

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from lesson_bank.model import Lesson
from schedules import spacing
from schedules.models import Delivery, Practice, Reply, SpacingCard
from schedules.rollout import CHECKIN


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
    elif " " in cut[limit // 2 :]:
        cut = cut[: cut.rfind(" ")]
    return cut.rstrip() + "…", True


class ReplyError(ValueError):
    pass


@dataclass(frozen=True)
class Answer:
    check_answer: int | None = None
    practice: str | None = None
    reflection: str | None = None
    answered_at: datetime | None = None  # when it was given (Slack's action_ts); None: now

    def validate(self, lesson: Lesson) -> None:
        if self.check_answer is not None and not 1 <= self.check_answer <= len(lesson.check.options):
            raise ReplyError(f"answer must be between 1 and {len(lesson.check.options)}")
        if self.practice is not None and self.practice not in {p.value for p in Practice}:
            raise ReplyError(f"'{self.practice}' is not one of {', '.join(p.value for p in Practice)}")


def _newer(stored: datetime | None, given: datetime) -> bool:
    """A replayed or late tap carries its original time: it must not overwrite a later answer."""
    return stored is None or given >= stored


def _merge(reply: Reply, answer: Answer, lesson: Lesson, now: datetime) -> None:
    given = answer.answered_at or now
    if answer.check_answer is not None and _newer(reply.check_answered_at, given):
        reply.check_answer = answer.check_answer
        reply.check_correct = lesson.check.is_right(answer.check_answer)
        reply.check_asked = lesson.check_asked
        reply.check_answered_at = given
    if answer.practice is not None and _newer(reply.practice_answered_at, given):
        reply.practice = answer.practice
        reply.practice_answered_at = given
    if answer.reflection is not None and answer.reflection.strip():
        reply.reflection = answer.reflection.strip()


@dataclass
class Known:
    """What one transaction has read or staged so far: the replies and spacing cards of its deliveries, so a
    batch of replies costs two queries, and a second answer to the same delivery in a batch finds the first."""

    replies: dict[int, Reply] = field(default_factory=dict)
    cards: dict[tuple[int, str], SpacingCard] = field(default_factory=dict)


def load_known(session: Session, deliveries: Iterable[Delivery]) -> Known:
    """Two queries for a whole batch (callers keep batches to a few hundred deliveries)."""
    deliveries = list(deliveries)
    known = Known()
    if not deliveries:
        return known
    ids = [d.id for d in deliveries]
    known.replies = {r.delivery_id: r for r in session.exec(select(Reply).where(col(Reply.delivery_id).in_(ids)))}
    people = {d.person_id for d in deliveries}
    lessons = {d.lesson_id for d in deliveries}
    for card in session.exec(
        select(SpacingCard).where(col(SpacingCard.person_id).in_(people), col(SpacingCard.lesson_id).in_(lessons))
    ):
        known.cards[(card.person_id, card.lesson_id)] = card
    return known


def _apply_spacing(session: Session, known: Known, reply: Reply, delivery: Delivery, is_new: bool) -> None:
    person_id = delivery.person_id
    card = known.cards.get((person_id, delivery.lesson_id)) if person_id is not None else None  # cards always have a person
    if not is_new and (card is None or card.last_delivery_id != delivery.id):
        return  # a later review has moved the card on; changing an old answer must not rewind it
    assert person_id is not None  # a first answer comes from a delivery that still has its person
    if is_new:
        reply.card_before_json = card.card_json if card else None
    rating = spacing.rating_for(reply.check_correct, reply.practice)
    reviewed_at = reply.created_at
    if rating is None:  # not relevant: the card is kept, retired, so the lesson is never sent again
        card_json = reply.card_before_json or json.dumps(spacing.new_card(person_id, delivery.lesson_id, reviewed_at).to_dict())
        due_at = reviewed_at
    else:
        result = spacing.review(reply.card_before_json, person_id, delivery.lesson_id, rating, reviewed_at)
        card_json, due_at = result.card_json, result.due_at
    if card is None:
        card = SpacingCard(
            person_id=person_id, lesson_id=delivery.lesson_id, card_json="", due_at=reviewed_at, last_review_at=reviewed_at
        )
        known.cards[(person_id, delivery.lesson_id)] = card
    card.card_json, card.due_at, card.last_review_at = card_json, due_at, reviewed_at
    card.retired, card.last_delivery_id = rating is None, delivery.id
    reply.rating = int(rating) if rating is not None else None
    session.add(card)


def stage_reply(session: Session, known: Known, *, delivery: Delivery, lesson: Lesson, answer: Answer, now: datetime) -> Reply:
    """Create or update the one reply for this delivery in the session, without committing: the caller
    commits one transaction for a whole batch. A bad answer raises ReplyError before anything is staged."""
    answer.validate(lesson)
    assert delivery.id is not None  # a stored delivery
    reply = known.replies.get(delivery.id)
    is_new = reply is None
    if reply is None:
        reply = Reply(
            delivery_id=delivery.id,
            person_id=delivery.person_id,
            lesson_id=delivery.lesson_id,
            lesson_version=delivery.lesson_version,
            created_at=now,
            updated_at=now,
        )
        known.replies[delivery.id] = reply
    _merge(reply, answer, lesson, now)
    reply.updated_at = now
    if delivery.kind != CHECKIN:  # a roll-out check-in measures; it is not a review of the lesson it borrows a question from
        _apply_spacing(session, known, reply, delivery, is_new)
    session.add(reply)
    return reply


def record_reply(session: Session, *, delivery: Delivery, lesson: Lesson, answer: Answer, now: datetime) -> Reply:
    """Create or update the one reply for this delivery and commit. A repeat POST updates; it never duplicates."""
    for _ in range(2):
        reply = stage_reply(session, load_known(session, [delivery]), delivery=delivery, lesson=lesson, answer=answer, now=now)
        try:
            session.commit()
            return reply
        except IntegrityError:
            session.rollback()  # another request created it first: go round again and update that one
    raise ReplyError("could not record the reply; please try again")
