"""Recording one Slack tap: check the tapper owns the nudge, save through the one reply path, and work out
what the message should show afterwards. The saving itself happens in bot.slack.recorder (group commit)."""

from dataclasses import dataclass

from sqlmodel import Session, select

from bot.core.replying import ReplyError, SavedReply, delivery_and_lesson, safety_notice
from bot.core.service import Service
from digests.slack_nudge import ReplyState, fallback_text, nudge_blocks, reflection_modal
from digests.loop_chat import checkin_blocks
from schedules.models import Delivery, Person, Reply
from schedules.rollout import CHECKIN


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


def check_owner(session: Session, delivery: Delivery, *, user_id: str) -> None:
    """Was this delivery sent to this Slack user? (Anyone can forge a button value.) The reply path's check
    for a tap (bot.core.replying.ReplyRequest.check): the reply writer loads the people of a whole batch
    first, so there it reads the session, not the database."""
    person = session.get(Person, delivery.person_id) if delivery.person_id is not None else None
    if person is None or person.slack_user_id != user_id:
        raise NotYours(f"delivery {delivery.id} was not sent to Slack user {user_id}")


def message_after(saved: SavedReply, container: dict, *, contact: str) -> Updated:
    """What the nudge shows once the reply is saved, and what is said back about a reflection."""
    reply, delivery = saved.reply, saved.delivery
    state = ReplyState(reply.check_answer, reply.check_correct, reply.practice, bool(reply.reflection))
    assert delivery.id is not None  # a stored delivery
    stored_channel, _, stored_ts = (delivery.external_ref or "").partition(":")
    channel, ts = stored_channel or container.get("channel_id"), stored_ts or container.get("message_ts")
    if delivery.kind == CHECKIN:  # a roll-out check-in shows the answers given, never the lesson or the right answer
        return Updated(channel, ts, checkin_blocks(saved.lesson, delivery.id, state), "A two-tap check-in", None)
    return Updated(
        channel,
        ts,
        nudge_blocks(saved.lesson, delivery.id, is_review=delivery.is_review, state=state),
        fallback_text(saved.lesson, is_review=delivery.is_review),
        safety_notice(saved, contact),
    )


def reflection_view(service: Service, *, user_id: str, delivery_id: int) -> dict:
    with Session(service.engine) as session:
        delivery, lesson = delivery_and_lesson(service, session, delivery_id)
        check_owner(session, delivery, user_id=user_id)  # anyone can forge a button value
        assert delivery.id is not None  # a stored delivery
        existing = session.exec(select(Reply.reflection).where(Reply.delivery_id == delivery.id)).first()
        return reflection_modal(lesson, delivery.id, existing)
