"""The one way a reply is saved, whichever channel it came from (email page, Slack, Teams):
the same store, the same idempotency, the same spacing update."""

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Protocol

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from bot.core.service import Service

from bot.core.clock import utcnow
from bot.core.signing import BadToken
from lesson_bank.model import Lesson
from schedules.concern import check_concern
from schedules.followups import FollowUpReply, record_followup
from schedules.lesson_versions import lesson_as_sent
from schedules.loop_store import cancel_reminders
from schedules.models import Delivery, FollowUpAnswer, Person
from schedules.redaction import redact
from schedules.replies import Answer, ReplyError, ReplyRow, fit_reflection, load_known, stage_reply, write_known


class UnknownDelivery(LookupError):
    pass


class Checked(Protocol):
    """What safety_notice reads from something saved (a reply, a follow-up answer, a proposal or a moment)."""

    @property
    def removed(self) -> tuple[str, ...]: ...

    @property
    def live_concern(self) -> bool: ...


@dataclass(frozen=True)
class SavedReply:
    reply: ReplyRow
    lesson: Lesson
    delivery: Delivery
    removed: tuple[str, ...] = ()  # what kinds of identifying detail were taken out ("a postcode")
    live_concern: bool = False  # the writer must be shown, now, where to take a live concern


def safety_notice(saved: "Checked", contact: str) -> str | None:
    """What a chat channel says back after a reflection: the live-concern signpost, and what was taken out."""
    lines = []
    if saved.live_concern:
        lines.append(
            f"If you are worried about a child now, please act now: LessonLoop is not a referral route and "
            f"nobody reads reflections to act on them. Contact {contact}, or follow your local safeguarding "
            "procedure today. If a child is in immediate danger, call 999."
        )
    if saved.removed:
        lines.append(
            f"We took out {', '.join(saved.removed)} before saving, so it is not stored anywhere. Please keep "
            "reflections free of anything that could identify a child, family or case."
        )
    return "\n\n".join(lines) or None


@dataclass(frozen=True)
class ReplyRequest:
    """One answer to save. `check` (optional) runs first with the delivery, e.g. "was this sent to the Slack
    user tapping?"; it raises to refuse the answer."""

    delivery_id: int
    answer: Answer
    check: Callable[[Session, Delivery], None] | None = None


def delivery_and_lesson(service: Service, session: Session, delivery_id: int) -> tuple[Delivery, Lesson]:
    """The delivery and its lesson exactly as it was sent (with the check that was asked)."""
    delivery = session.get(Delivery, delivery_id)
    if delivery is None:
        raise UnknownDelivery("this lesson is no longer available")
    lesson = lesson_as_sent(session, current=service.lessons, lesson_id=delivery.lesson_id, version=delivery.lesson_version)
    if lesson is None:
        raise UnknownDelivery("this lesson is no longer available")
    return delivery, lesson.as_asked(delivery.is_review)


def signed_delivery(service: Service, session: Session, purpose: str, token: str) -> tuple[Delivery, Lesson]:
    """The delivery a signed link (`purpose`: "reply" or "followup") is bound to, and its lesson as sent.
    Raises BadToken, also when the delivery or its lesson no longer exists: to the person it is a dead link."""
    data = service.signer.verify(purpose, token, utcnow())
    try:
        return delivery_and_lesson(service, session, data.subject_id)
    except UnknownDelivery as exc:
        raise BadToken(str(exc)) from None


def _checked(text: str | None) -> tuple[str | None, tuple[str, ...], bool]:
    """Checked in memory; only the redacted text is ever stored, logged or sent on."""
    if not text or not text.strip():
        return text, (), False
    redaction = redact(text)
    return redaction.text, tuple(redaction.summary()), check_concern(text).live


def _redacted(answer: Answer) -> tuple[Answer, tuple[str, ...], bool]:
    """A reflection redacted, then fitted to the 2,000 characters every editing surface accepts (redaction
    can make a text longer); the writer is told when its end was cut."""
    text, removed, concern = _checked(answer.reflection)
    if text and text.strip():
        text, shortened = fit_reflection(text)
        if shortened:
            removed += ("the end of it, past the 2,000-character limit once details were replaced",)
    return replace(answer, reflection=text), removed, concern


def stage_replies(service: Service, session: Session, requests: list[ReplyRequest]) -> list[SavedReply | Exception]:
    """Write a batch of answers in one session, in order, without committing (the caller commits them in one
    transaction). Each request gets its SavedReply, or the ReplyError/UnknownDelivery (or its check's error)
    that refused it; a refused answer stages nothing, so the others are unaffected."""
    ids = {r.delivery_id for r in requests}
    deliveries = {d.id: d for d in session.exec(select(Delivery).where(col(Delivery.id).in_(ids)))}
    known = load_known(session, deliveries.values())
    # The people of the batch in one query, only when an owner check will look for them in the session
    # (held here until the batch is staged: the session's identity map keeps only weak references).
    _held_people = (
        session.exec(select(Person).where(col(Person.id).in_({d.person_id for d in deliveries.values()}))).all()
        if any(r.check is not None for r in requests)
        else []
    )
    now = utcnow()
    results: list[SavedReply | Exception] = []
    for request in requests:
        try:
            delivery = deliveries.get(request.delivery_id)
            lesson = (
                lesson_as_sent(session, current=service.lessons, lesson_id=delivery.lesson_id, version=delivery.lesson_version)
                if delivery is not None
                else None
            )
            if delivery is None or lesson is None:
                raise UnknownDelivery("this lesson is no longer available")
            assert delivery.id is not None  # a stored delivery
            lesson = lesson.as_asked(delivery.is_review)
            if request.check is not None:
                request.check(session, delivery)
            answer, removed, concern = _redacted(request.answer)
            reply = stage_reply(known, delivery=delivery, lesson=lesson, answer=answer, now=now)
            results.append(SavedReply(reply, lesson, delivery, removed, concern))
        except (ReplyError, UnknownDelivery, PermissionError) as exc:
            results.append(exc)
    write_known(session, known)
    answered = [r.delivery.id for r in results if isinstance(r, SavedReply) and r.delivery.id is not None]
    cancel_reminders(session, parent_ids=answered, reason="the nudge was answered")  # issue 13
    return results


def save_reply(
    service: Service,
    session: Session,
    *,
    delivery_id: int,
    answer: Answer,
    check: Callable[[Session, Delivery], None] | None = None,
) -> SavedReply:
    """Record (or update) the reply to one delivery and commit. Raises ReplyError for an answer that cannot be
    right. Busy services go through bot.core.reply_writer, which saves many in one transaction the same way."""
    for _ in range(2):
        try:
            [result] = stage_replies(service, session, [ReplyRequest(delivery_id, answer, check)])
            if isinstance(result, Exception):
                raise result
            session.commit()
            return result
        except IntegrityError:
            session.rollback()  # another writer created the reply first: go round again and update that one
    raise ReplyError("could not record the reply; please try again")


@dataclass(frozen=True)
class SavedFollowUp:
    answer: FollowUpAnswer
    lesson: Lesson
    delivery: Delivery
    removed: tuple[str, ...] = ()
    live_concern: bool = False


def save_followup(service: Service, session: Session, *, delivery_id: int, answer: FollowUpReply) -> SavedFollowUp:
    """Record (or update) the answer to a follow-up (issue 13) or an impact question (issue 17): the same
    redaction and live-concern check as a reflection; the answer is an outcome of its own, never a change to
    the first reply."""
    delivery, lesson = delivery_and_lesson(service, session, delivery_id)
    text, removed, concern = _checked(answer.barrier)
    row = record_followup(session, delivery=delivery, answer=replace(answer, barrier=text), now=utcnow())
    return SavedFollowUp(row, lesson, delivery, removed, concern)


# The one check every free-text field goes through (reflections, follow-ups, proposals, practice moments).
check_text = _checked


__all__ = [
    "check_text",
    "Answer",
    "FollowUpReply",
    "ReplyError",
    "ReplyRequest",
    "SavedFollowUp",
    "SavedReply",
    "UnknownDelivery",
    "delivery_and_lesson",
    "safety_notice",
    "save_followup",
    "save_reply",
    "stage_replies",
]
