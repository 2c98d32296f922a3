"""The one way a reply is saved, whichever channel it came from (email page, Slack, Teams):
the same store, the same idempotency, the same spacing update."""
from dataclasses import dataclass, replace

from sqlmodel import Session

from bot.core.service import Service

from bot.core.clock import utcnow
from lesson_bank.model import Lesson
from schedules.concern import check_concern
from schedules.lesson_versions import lesson_as_sent
from schedules.loop_store import cancel_reminders
from schedules.redaction import redact
from schedules.followups import FollowUpReply, record_followup
from schedules.models import Delivery, FollowUpAnswer, Reply
from schedules.replies import Answer, ReplyError, record_reply


class UnknownDelivery(LookupError):
    pass


@dataclass(frozen=True)
class SavedReply:
    reply: Reply
    lesson: Lesson
    delivery: Delivery
    removed: tuple[str, ...] = ()  # what kinds of identifying detail were taken out ("a postcode")
    live_concern: bool = False  # the writer must be shown, now, where to take a live concern


def safety_notice(saved: "SavedReply | SavedFollowUp", contact: str) -> str | None:
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
    """The delivery and its lesson exactly as it was sent (with the check that was asked)."""
    delivery = session.get(Delivery, delivery_id)
    if delivery is None:
        raise UnknownDelivery("this lesson is no longer available")
    lesson = lesson_as_sent(session, current=service.lessons, lesson_id=delivery.lesson_id, version=delivery.lesson_version)
    if lesson is None:
        raise UnknownDelivery("this lesson is no longer available")
    return delivery, lesson.as_asked(delivery.is_review)


def save_reply(service: Service, session: Session, *, delivery_id: int, answer: Answer) -> SavedReply:
    """Record (or update) the reply to one delivery. Raises ReplyError for an answer that cannot be right."""
    delivery, lesson = delivery_and_lesson(service, session, delivery_id)
    text, removed, concern = _checked(answer.reflection)
    answer = replace(answer, reflection=text)
    reply = record_reply(session, delivery=delivery, lesson=lesson, answer=answer, now=utcnow())
    if cancel_reminders(session, parent_id=delivery_id, reason="the nudge was answered"):  # issue 13
        session.commit()
    return SavedReply(reply, lesson, delivery, removed, concern)


def _checked(text: str | None) -> tuple[str | None, tuple[str, ...], bool]:
    """Checked in memory; only the redacted text is ever stored, logged or sent on."""
    if not text or not text.strip():
        return text, (), False
    redaction = redact(text)
    return redaction.text, tuple(redaction.summary()), check_concern(text).live


@dataclass(frozen=True)
class SavedFollowUp:
    answer: FollowUpAnswer
    lesson: Lesson
    delivery: Delivery
    removed: tuple[str, ...] = ()
    live_concern: bool = False


def save_followup(service: Service, session: Session, *, delivery_id: int, answer: FollowUpReply) -> SavedFollowUp:
    """Record (or update) the answer to a follow-up (issue 13): the same redaction and live-concern check
    as a reflection; the answer is an outcome of its own, never a change to the first reply."""
    delivery, lesson = delivery_and_lesson(service, session, delivery_id)
    text, removed, concern = _checked(answer.barrier)
    row = record_followup(session, delivery=delivery, answer=replace(answer, barrier=text), now=utcnow())
    return SavedFollowUp(row, lesson, delivery, removed, concern)


__all__ = ["FollowUpReply", "SavedFollowUp", "save_followup", "Answer", "ReplyError", "SavedReply", "UnknownDelivery", "delivery_and_lesson", "safety_notice", "save_reply"]
