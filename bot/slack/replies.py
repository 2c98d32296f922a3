"""Taps on a Slack nudge and the reflection modal. Every listener acks first (Slack allows 3 seconds),
then records through the shared reply path (bot.slack.recorder -> bot.core.reply_writer: the store, idempotency and spacing update every channel
shares) and updates the message to show the answer and the explanation.

A replayed or doubled tap saves the same answer again, which changes nothing, and updates the message
to what it already shows."""

import asyncio
import logging
import re
from dataclasses import replace
from datetime import datetime, timezone

from slack_bolt.async_app import AsyncApp

from bot.core.replying import Answer, ReplyError, UnknownDelivery
from bot.core.service import Service
from bot.slack.recorder import Recorder
from bot.slack.taps import NotYours, Updated, parse_value, reflection_view
from bot.slack.web import SlackApi
from digests.slack_nudge import REFLECTION_LIMIT, concern_blocks

log = logging.getLogger("lessonloop.slack")

CHECK, PRACTICE = re.compile(r"^check-\d+$"), re.compile(r"^practice-[a-z_]+$")


async def _update_message(api: SlackApi, updated: Updated) -> None:
    if updated.channel and updated.ts:
        await api.post("chat.update", channel=updated.channel, ts=updated.ts, blocks=updated.blocks, text=updated.text)
    if updated.channel and updated.notice:
        # A message of its own, apart from the quiz feedback in the updated nudge.
        await api.post("chat.postMessage", channel=updated.channel, text=updated.notice, blocks=concern_blocks(updated.notice))


def tapped_at(body: dict) -> datetime | None:
    """When the person tapped, by Slack's clock (`action_ts`): a replayed older tap then loses to a newer one."""
    actions = body.get("actions") or [{}]
    try:
        return datetime.fromtimestamp(float(actions[0].get("action_ts")), timezone.utc)
    except (TypeError, ValueError, OverflowError):
        return None


async def _save_and_update(recorder: Recorder, api: SlackApi, body: dict, value: str, answer_for) -> None:
    """`value` is the tapped button's "<delivery>:<choice>"; `answer_for(choice)` makes the Answer."""
    try:
        delivery_id, choice = parse_value(value)
        answer = replace(answer_for(choice), answered_at=tapped_at(body))
        updated = await recorder.record(
            user_id=body["user"]["id"], delivery_id=delivery_id, answer=answer, container=body.get("container") or {}
        )
    except (ReplyError, UnknownDelivery, NotYours) as exc:
        log.warning("slack tap not recorded: %s", exc)
        return
    await _update_message(api, updated)


def register(app: AsyncApp, service: Service, api: SlackApi, *, recorder: Recorder) -> None:
    @app.action(CHECK)
    async def check_tapped(ack, body, action):
        await ack()
        await _save_and_update(
            recorder, api, body, action["value"], lambda choice: Answer(check_answer=int(choice) if choice.isdigit() else -1)
        )

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
