"""Slack listeners for closing the loop (issue 13): "No more reminders" on a reminder, the reminders
switch in App Home, and the one-tap answers and optional-line modal of a follow-up or an impact question
(issue 17: the same buttons and modal, drawn from the delivery's kind).

Every listener acks first; answers go through bot.core.replying.save_followup (the same redaction and
live-concern check as a reflection). Only the person a message was sent to can answer it."""

import asyncio
import logging
import re
from dataclasses import dataclass

from slack_bolt.async_app import AsyncApp
from sqlmodel import Session, select

from bot.core.clock import utcnow
from bot.core.replying import FollowUpReply, ReplyError, UnknownDelivery, safety_notice, save_followup
from bot.core.service import Service
from bot.core.loop_sending import redrawn_message
from bot.slack.home_tab import find_person, publish_home
from bot.slack.taps import NotYours
from bot.slack.web import SlackApi
from digests.loop_chat import barrier_modal, followup_blocks
from digests.loop_messages import ASKED, subject
from schedules.followups import BARRIER_LIMIT
from schedules.loop_store import set_reminders
from schedules.models import Delivery, FollowUpAnswer, Person

log = logging.getLogger("lessonloop.slack")
FOLLOWUP = re.compile(r"^followup-[a-z_]+$")


@dataclass(frozen=True)
class FollowUpShown:
    channel: str | None
    ts: str | None
    blocks: list[dict]
    text: str
    notice: str | None


def _own(session: Session, delivery_id: int, user_id: str) -> tuple[Delivery, Person]:
    delivery = session.get(Delivery, delivery_id)
    person = session.get(Person, delivery.person_id) if delivery is not None and delivery.person_id else None
    if delivery is None or person is None or person.slack_user_id != user_id:
        raise NotYours(f"delivery {delivery_id} was not sent to Slack user {user_id}")
    return delivery, person


def switch_reminders(service: Service, user_id: str, on: bool) -> None:
    with Session(service.engine) as session:
        person = session.exec(select(Person).where(Person.slack_user_id == user_id)).first()
        if person is None:
            raise NotYours(f"Slack user {user_id} is not on the list")
        set_reminders(session, person=person, on=on)
        session.commit()


def record_followup_tap(
    service: Service, *, user_id: str, delivery_id: int, answer: FollowUpReply, container: dict
) -> FollowUpShown:
    """Blocking (database): run in a thread."""
    with Session(service.engine) as session:
        delivery, person = _own(session, delivery_id, user_id)
        saved = save_followup(service, session, delivery_id=delivery_id, answer=answer)
        message = redrawn_message(service, session, delivery=delivery, person=person, lesson=saved.lesson, now=utcnow())
        channel, _, ts = (delivery.external_ref or "").partition(":")
        blocks = followup_blocks(message, saved.answer.outcome, bool(saved.answer.barrier))
        return FollowUpShown(
            channel or container.get("channel_id"),
            ts or container.get("message_ts"),
            blocks,
            subject(message),
            safety_notice(saved, service.settings.organisation_contact),
        )


def barrier_view(service: Service, *, user_id: str, delivery_id: int) -> dict:
    with Session(service.engine) as session:
        delivery, _ = _own(session, delivery_id, user_id)
        assert delivery.id is not None  # a stored delivery
        if delivery.kind not in ASKED:
            raise NotYours(f"delivery {delivery_id} is not a follow-up or an impact question")
        existing = session.exec(select(FollowUpAnswer.barrier).where(FollowUpAnswer.delivery_id == delivery.id)).first()
        lesson = service.lessons.get(delivery.lesson_id)
        return barrier_modal(lesson.title if lesson else delivery.lesson_id, delivery.id, existing, delivery.kind)


async def _show(api: SlackApi, shown: FollowUpShown) -> None:
    if shown.channel and shown.ts:
        await api.post("chat.update", channel=shown.channel, ts=shown.ts, blocks=shown.blocks, text=shown.text)
    if shown.channel and shown.notice:
        await api.post("chat.postMessage", channel=shown.channel, text=shown.notice)


async def _record(service: Service, api: SlackApi, body: dict, delivery_id: int, answer: FollowUpReply) -> None:
    try:
        shown = await asyncio.to_thread(
            record_followup_tap,
            service,
            user_id=body["user"]["id"],
            delivery_id=delivery_id,
            answer=answer,
            container=body.get("container") or {},
        )
    except (ReplyError, UnknownDelivery, NotYours) as exc:
        log.warning("follow-up answer not recorded: %s", exc)
        return
    await _show(api, shown)


def register(app: AsyncApp, service: Service, api: SlackApi) -> None:
    @app.action("reminders_off")
    async def reminders_off(ack, body):
        await ack()
        try:
            await asyncio.to_thread(switch_reminders, service, body["user"]["id"], False)
        except NotYours as exc:
            log.warning("reminders not switched off: %s", exc)
            return
        channel = (body.get("container") or {}).get("channel_id")
        if channel:
            await api.post(
                "chat.postMessage",
                channel=channel,
                text="Done: no more reminders. Your weekly lessons continue; switch reminders back on in the Home tab.",
            )

    @app.action("home_reminders")
    async def home_reminders(ack, body, action):
        await ack()
        user_id = body["user"]["id"]
        if await find_person(service, api, user_id) is None:
            return
        await asyncio.to_thread(switch_reminders, service, user_id, action.get("value") == "on")
        await publish_home(service, api, user_id)

    @app.action("home_record")
    async def record_opened(ack):
        await ack()  # a link button: Slack opens the URL; the action only needs acknowledging

    @app.action(FOLLOWUP)
    async def followup_tapped(ack, body, action):
        await ack()
        delivery, _, outcome = action["value"].partition(":")
        if not delivery.isdigit():
            log.warning("follow-up button value '%s' is not '<delivery>:<outcome>'", action["value"][:40])
            return
        await _record(service, api, body, int(delivery), FollowUpReply(outcome=outcome))

    @app.action("followup_barrier")
    async def barrier_tapped(ack, body, action):
        await ack()
        if not action["value"].isdigit():
            return
        try:
            view = await asyncio.to_thread(barrier_view, service, user_id=body["user"]["id"], delivery_id=int(action["value"]))
        except NotYours as exc:
            log.warning("barrier modal not opened: %s", exc)
            return
        await api.post("views.open", trigger_id=body["trigger_id"], view=view)

    @app.view("followup_barrier")
    async def barrier_saved(ack, body, view):
        text = (view["state"]["values"].get("barrier", {}).get("text", {}).get("value") or "").strip()
        if not text or len(text) > BARRIER_LIMIT:
            problem = "Write a few words, or press Cancel." if not text else f"Keep it under {BARRIER_LIMIT} characters."
            await ack(response_action="errors", errors={"barrier": problem})
            return
        await ack()
        metadata = view.get("private_metadata", "")
        if metadata.isdigit():
            await _record(service, api, body, int(metadata), FollowUpReply(barrier=text))
