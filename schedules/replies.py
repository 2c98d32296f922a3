"""Record a reply to a delivery, idempotently, and update that person's spacing card.

Replies and cards are staged as plain rows and written with one statement per kind for a whole batch:
building an ORM object cost ~80 µs a reply and flushing it as much again, most of a busy reply writer's time."""

import json
from dataclasses import dataclass, field, fields
from datetime import datetime
from collections.abc import Iterable
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlmodel import Session

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
        if self.practice is not None and self.practice not in _PRACTICES:
            raise ReplyError(f"'{self.practice}' is not one of {', '.join(p.value for p in Practice)}")


_PRACTICES = frozenset(p.value for p in Practice)


@dataclass(slots=True)
class ReplyRow:
    """A `reply` row as staged and stored (the columns of schedules.models.Reply)."""

    delivery_id: int
    person_id: int | None
    lesson_id: str
    lesson_version: str
    created_at: datetime
    updated_at: datetime
    check_answer: int | None = None
    check_correct: bool | None = None
    check_asked: str | None = None
    practice: str | None = None
    reflection: str | None = None
    rating: int | None = None
    card_before_json: str | None = None
    check_answered_at: datetime | None = None
    practice_answered_at: datetime | None = None
    id: int | None = None  # None until stored (a new row is written without reading its id back)


@dataclass(slots=True)
class CardRow:
    """A `spacingcard` row as staged and stored (the columns of schedules.models.SpacingCard)."""

    person_id: int
    lesson_id: str
    card_json: str
    due_at: datetime
    last_review_at: datetime
    retired: bool = False
    last_delivery_id: int | None = None
    id: int | None = None


def _newer(stored: datetime | None, given: datetime) -> bool:
    """A replayed or late tap carries its original time: it must not overwrite a later answer."""
    return stored is None or given >= stored


def _merge(reply: ReplyRow, answer: Answer, lesson: Lesson, now: datetime) -> None:
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
    batch of replies costs two queries to read and one statement per kind of change to write, and a second
    answer to the same delivery in a batch finds the first. `changed` holds the rows `write_known` writes."""

    replies: dict[int, ReplyRow] = field(default_factory=dict)
    cards: dict[tuple[int, str], CardRow] = field(default_factory=dict)
    changed: dict[int, ReplyRow | CardRow] = field(default_factory=dict)  # by id(): rows are not hashable

    def touch(self, row: ReplyRow | CardRow) -> None:
        self.changed[id(row)] = row


_REPLY_COLUMNS = tuple(f.name for f in fields(ReplyRow))
_CARD_COLUMNS = tuple(f.name for f in fields(CardRow))
# The rows mirror their tables: a column added to one and not the other would be silently left unwritten.
assert set(_REPLY_COLUMNS) == set(Reply.__table__.c.keys()), "ReplyRow and the reply table differ"  # type: ignore[attr-defined]
assert set(_CARD_COLUMNS) == set(SpacingCard.__table__.c.keys()), "CardRow and the spacingcard table differ"  # type: ignore[attr-defined]
assert _REPLY_COLUMNS[-1] == _CARD_COLUMNS[-1] == "id"


def load_known(session: Session, deliveries: Iterable[Delivery]) -> Known:
    """Two queries for a whole batch (callers keep batches to a few hundred deliveries)."""
    deliveries = list(deliveries)
    known = Known()
    if not deliveries:
        return known
    ids = [d.id for d in deliveries]
    replies, cards = Reply.__table__.c, SpacingCard.__table__.c  # type: ignore[attr-defined]
    for row in session.execute(select(*(replies[name] for name in _REPLY_COLUMNS)).where(replies.delivery_id.in_(ids))):
        known.replies[row.delivery_id] = ReplyRow(**row._asdict())
    people = {d.person_id for d in deliveries}
    lessons = {d.lesson_id for d in deliveries}
    for row in session.execute(
        select(*(cards[name] for name in _CARD_COLUMNS)).where(cards.person_id.in_(people), cards.lesson_id.in_(lessons))
    ):
        known.cards[(row.person_id, row.lesson_id)] = CardRow(**row._asdict())
    return known


def write_known(session: Session, known: Known) -> None:
    """Write what was staged: new rows in one INSERT per table, changed rows in one UPDATE per table (each
    run as executemany). A reply another writer created meanwhile fails the INSERT on its unique delivery,
    as a flush would: the caller rolls back and saves again, then finding that reply."""
    rows = list(known.changed.values())
    known.changed.clear()
    for table, kind in ((Reply.__table__, ReplyRow), (SpacingCard.__table__, CardRow)):  # type: ignore[attr-defined]
        names = _REPLY_COLUMNS[:-1] if kind is ReplyRow else _CARD_COLUMNS[:-1]  # all but the id, the last field
        new = [{name: getattr(r, name) for name in names} for r in rows if isinstance(r, kind) and r.id is None]
        old = [
            {"_row": r.id} | {name: getattr(r, name) for name in names} for r in rows if isinstance(r, kind) and r.id is not None
        ]
        if new:
            session.execute(insert(table), new)
        if old:
            columns: dict[str, Any] = {name: bindparam(name) for name in old[0] if name != "_row"}
            session.execute(update(table).where(table.c.id == bindparam("_row")).values(columns), old)


def _apply_spacing(known: Known, reply: ReplyRow, delivery: Delivery, is_new: bool) -> None:
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
        card = CardRow(
            person_id=person_id, lesson_id=delivery.lesson_id, card_json="", due_at=reviewed_at, last_review_at=reviewed_at
        )
        known.cards[(person_id, delivery.lesson_id)] = card
    card.card_json, card.due_at, card.last_review_at = card_json, due_at, reviewed_at
    card.retired, card.last_delivery_id = rating is None, delivery.id
    reply.rating = int(rating) if rating is not None else None
    known.touch(card)


def stage_reply(known: Known, *, delivery: Delivery, lesson: Lesson, answer: Answer, now: datetime) -> ReplyRow:
    """Create or update the one reply for this delivery in `known`, without writing: `write_known` writes a
    whole batch and the caller commits it. A bad answer raises ReplyError before anything is staged."""
    answer.validate(lesson)
    assert delivery.id is not None  # a stored delivery
    reply = known.replies.get(delivery.id)
    is_new = reply is None
    if reply is None:
        reply = ReplyRow(
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
        _apply_spacing(known, reply, delivery, is_new)
    known.touch(reply)
    return reply


__all__ = ["Answer", "CardRow", "Known", "ReplyError", "ReplyRow", "load_known", "stage_reply", "write_known"]
