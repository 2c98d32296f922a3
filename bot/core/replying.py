"""The one way a reply is saved, whichever channel it came from (email page, Slack, Teams):
the same store, the same idempotency, the same spacing update."""
from dataclasses import dataclass, replace

from sqlmodel import Session

from bot.core.service import Service

from bot.core.clock import utcnow
from lesson_bank.model import Lesson
from schedules.concern import check_concern
from schedules.lesson_versions import lesson_as_sent
from schedules.redaction import redact
from schedules.models import Delivery, Reply
from schedules.replies import Answer, ReplyError, fit_reflection, record_reply


class UnknownDelivery(LookupError):
    pass


@dataclass(frozen=True)
class SavedReply:
    reply: Reply
    lesson: Lesson
    delivery: Delivery
    removed: tuple[str, ...] = ()  # what kinds of identifying detail were taken out ("a postcode")
    live_concern: bool = False  # the writer must be shown, now, where to take a live concern


def safety_notice(saved: SavedReply, contact: str) -> str | None:
    """What a chat channel says back after a reflection: the live-concern signpost, and what was taken out."""
    lines = []
    if saved.live_concern:
        lines.append(f"If you are worried about a child now, please act now: LessonLoop is not a referral route and "
                     f"nobody reads reflections to act on them. Contact {contact}, or follow your local safeguarding "
                     "procedure today. If a child is in immediate danger, call 999.")
    if saved.removed:
        lines.append(f"We took out {', '.join(saved.removed)} before saving, so it is not stored anywhere. Please keep "
                     "reflections free of anything that could identify a child, family or case.")
    return "\n\n".join(lines) or None


def delivery_and_lesson(service: Service, session: Session, delivery_id: int) -> tuple[Delivery, Lesson]:
    """The delivery and its lesson exactly as it was sent."""
    delivery = session.get(Delivery, delivery_id)
    lesson = delivery and lesson_as_sent(session, current=service.lessons, lesson_id=delivery.lesson_id, version=delivery.lesson_version)
    if lesson is None:
        raise UnknownDelivery("this lesson is no longer available")
    # As the reader saw it: on a spaced review the answer is graded against the review check it showed.
    return delivery, service.as_read(lesson, is_review=delivery.is_review)


def save_reply(service: Service, session: Session, *, delivery_id: int, answer: Answer) -> SavedReply:
    """Record (or update) the reply to one delivery. Raises ReplyError for an answer that cannot be right."""
    delivery, lesson = delivery_and_lesson(service, session, delivery_id)
    removed, concern = (), False
    if answer.reflection and answer.reflection.strip():
        # Checked in memory; only the redacted text is ever stored, logged or sent on.
        concern = check_concern(answer.reflection).live
        redaction = redact(answer.reflection)
        text, shortened = fit_reflection(redaction.text)
        removed = tuple(redaction.summary()) + (("the end of it, past the 2,000-character limit once details were replaced",) if shortened else ())
        answer = replace(answer, reflection=text)
    reply = record_reply(session, delivery=delivery, lesson=lesson, answer=answer, now=utcnow())
    return SavedReply(reply, lesson, delivery, removed, concern)


__all__ = ["Answer", "ReplyError", "SavedReply", "UnknownDelivery", "delivery_and_lesson", "safety_notice", "save_reply"]
