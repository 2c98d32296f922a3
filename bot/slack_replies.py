"""Taps on a Slack nudge and the reflection modal. Every listener acks first (Slack allows 3 seconds),
then records through bot.replying.save_reply (the store, idempotency and spacing update every channel
shares) and updates the message to show the answer and the explanation.

A replayed or doubled tap saves the same answer again, which changes nothing, and updates the message
to what it already shows."""
import asyncio
import logging
import re
from dataclasses import dataclass, replace

from slack_bolt.async_app import AsyncApp
from sqlmodel import Session, select

from bot.replying import Answer, ReplyError, UnknownDelivery, delivery_and_lesson, safety_notice, save_reply
from bot.service import Service
from bot.slack_recorder import Recorder
from bot.slack_web import SlackApi
from digests.slack_nudge import REFLECTION_LIMIT, ReplyState, fallback_text, nudge_blocks, reflection_modal
from lesson_bank.model import Lesson
from schedules.models import Delivery, Person, Reply

log = logging.getLogger("lessonloop.slack")

CHECK, PRACTICE = re.compile(r"^check-\d+$"), re.compile(r"^practice-[a-z_]+$")


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
    return Updated(channel, ts, nudge_blocks(lesson, delivery.id, is_review=delivery.is_review, state=state), fallback_text(lesson))


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


async def _update_message(api: SlackApi, updated: Updated) -> None:
    if updated.channel and updated.ts:
        await api.post("chat.update", channel=updated.channel, ts=updated.ts, blocks=updated.blocks, text=updated.text)
    if updated.channel and updated.notice:
        await api.post("chat.postMessage", channel=updated.channel, text=updated.notice)


async def _save_and_update(recorder: Recorder, api: SlackApi, body: dict, value: str, answer_for) -> None:
    """`value` is the tapped button's "<delivery>:<choice>"; `answer_for(choice)` makes the Answer."""
    try:
        delivery_id, choice = parse_value(value)
        answer = answer_for(choice)
        updated = await recorder.record(user_id=body["user"]["id"], delivery_id=delivery_id,
                                        answer=answer, container=body.get("container") or {})
    except (ReplyError, UnknownDelivery, NotYours) as exc:
        log.warning("slack tap not recorded: %s", exc)
        return
    await _update_message(api, updated)


def register(app: AsyncApp, service: Service, api: SlackApi, *, recorder: Recorder) -> None:
    @app.action(CHECK)
    async def check_tapped(ack, body, action):
        await ack()
        await _save_and_update(recorder, api, body, action["value"], lambda choice: Answer(check_answer=int(choice) if choice.isdigit() else -1))

    @app.action(PRACTICE)
    async def practice_tapped(ack, body, action):
        await ack()
        await _save_and_update(recorder, api, body, action["value"], lambda choice: Answer(practice=choice))

    @app.action("reflect")
    async def reflect_tapped(ack, body, action):
        await ack()
        if not action["value"].isdigit():
            log.warning("reflect button value '%s' is not a delivery id", action["value"][:40])
            return
        try:
            view = await asyncio.to_thread(reflection_view, service, user_id=body["user"]["id"], delivery_id=int(action["value"]))
        except (UnknownDelivery, NotYours) as exc:
            log.warning("reflection not opened: %s", exc)
            return
        await api.post("views.open", trigger_id=body["trigger_id"], view=view)

    @app.view("reflection")
    async def reflection_saved(ack, body, view):
        text = (view["state"]["values"].get("reflection", {}).get("text", {}).get("value") or "").strip()
        if not text or len(text) > REFLECTION_LIMIT:
            problem = "Write a few words, or press Cancel." if not text else f"Keep it under {REFLECTION_LIMIT} characters."
            await ack(response_action="errors", errors={"reflection": problem})
            return
        await ack()
        metadata = view.get("private_metadata", "")
        if not metadata.isdigit():
            log.warning("reflection modal without a delivery id")
            return
        await _save_and_update(recorder, api, body, f"{metadata}:reflection", lambda _: Answer(reflection=text))
