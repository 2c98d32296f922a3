"""Recording one Slack tap: check the tapper owns the nudge, save through the one reply path, and work out
what the message should show afterwards. Blocking (database): run in a thread or the recorder's child."""
from dataclasses import dataclass, replace

from sqlmodel import Session, select

from bot.core.replying import Answer, ReplyError, delivery_and_lesson, safety_notice, save_reply
from bot.core.service import Service
from digests.slack_nudge import ReplyState, fallback_text, nudge_blocks, reflection_modal
from lesson_bank.model import Lesson
from schedules.models import Delivery, Person, Reply


class NotYours(PermissionError):
    """The Slack user acting is not the person the nudge was sent to."""


@dataclass(frozen=True)
class Updated:
    channel: str | None
    ts: str | None
    blocks: list[dict]
    text: str
    notice: str | None = None  # the live-concern signpost and what was taken out of a reflection


def parse_value(value: str) -> tuple[int, str]:
    """A button value is "<delivery id>:<choice>"."""
    delivery, _, choice = value.partition(":")
    if not delivery.isdigit() or not choice:
        raise ReplyError(f"button value '{value[:40]}' is not '<delivery>:<choice>'")
    return int(delivery), choice


def _check_owner(session: Session, delivery_id: int, user_id: str) -> None:
    """One query: was this delivery sent to this Slack user? (Anyone can forge a button value.)"""
    owner = session.exec(select(Person.slack_user_id).join(Delivery, Delivery.person_id == Person.id)
                         .where(Delivery.id == delivery_id)).first()
    if owner != user_id:
        raise NotYours(f"delivery {delivery_id} was not sent to Slack user {user_id}")


def _message_after(lesson: Lesson, delivery: Delivery, reply: Reply, container: dict) -> Updated:
    state = ReplyState(reply.check_answer, reply.check_correct, reply.practice, bool(reply.reflection))
    channel, _, ts = (delivery.external_ref or "").partition(":")
    channel, ts = channel or container.get("channel_id"), ts or container.get("message_ts")
    return Updated(channel, ts, nudge_blocks(lesson, delivery.id, is_review=delivery.is_review, state=state),
                   fallback_text(lesson, is_review=delivery.is_review))


def record_tap(service: Service, *, user_id: str, delivery_id: int, answer: Answer, container: dict) -> Updated:
    """Blocking (database): run in a thread."""
    with Session(service.engine) as session:
        _check_owner(session, delivery_id, user_id)
        saved = save_reply(service, session, delivery_id=delivery_id, answer=answer)
        updated = _message_after(saved.lesson, saved.delivery, saved.reply, container)
        return replace(updated, notice=safety_notice(saved, service.settings.organisation_contact))


def reflection_view(service: Service, *, user_id: str, delivery_id: int) -> dict:
    with Session(service.engine) as session:
        _check_owner(session, delivery_id, user_id)
        delivery, lesson = delivery_and_lesson(service, session, delivery_id)
        existing = session.exec(select(Reply.reflection).where(Reply.delivery_id == delivery.id)).first()
        return reflection_modal(lesson, delivery.id, existing)
