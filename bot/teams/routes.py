"""The bot's messaging endpoint. Every request's JWT is checked before anything is read or written;
a bad token gets 401 and nothing is recorded."""

import asyncio
import logging
from typing import TYPE_CHECKING, cast

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from bot.core.service import Service
from bot.core.signing import BadToken
from bot.teams.actions import BadAction
from bot.teams.loop_actions import record_any_press
from bot.teams.auth import TeamsAuthError
from bot.teams.connector import CARD_TYPE, ConversationRef, card_activity
from bot.teams.install import forget, is_personal, remember
from bot.teams import voice as teams_voice
from bot.teams.mention import answer_mention
from bot.core.transport import TransportError
from digests.cards import CHILD_REMINDER, REPLY_VERB
from digests.voice_cards import VOICE_VERB

if TYPE_CHECKING:
    from bot.teams.channel import TeamsChannel

router = APIRouter()
log = logging.getLogger("lessonloop.teams")
ENDPOINT = "/api/teams/messages"
TYPED_TEXT_ANSWER = (
    "LessonLoop does not keep messages typed here. To answer this week's lesson or add a reflection, "
    f"use the buttons and the box on the lesson card. {CHILD_REMINDER}"
)
VOICE_HINT = 'Type "propose" to propose a lesson, or "moment" to log a practice moment (anonymous).'


def _invoke_error(status: int, message: str) -> JSONResponse:
    return JSONResponse(
        {
            "statusCode": status,
            "type": "application/vnd.microsoft.error",
            "value": {"code": "BadRequest" if status == 400 else "Unauthorized", "message": message},
        }
    )


async def _card_action(service: Service, activity: dict) -> Response:
    """Action.Execute: the invoke response carries the redrawn card, which replaces the sent one."""
    action = (activity.get("value") or {}).get("action") or {}
    if action.get("verb") == VOICE_VERB:  # a proposal or practice-moment form (issue 17)
        card = await asyncio.to_thread(teams_voice.submit_form, service, action.get("data") or {}, _sender(activity))
        return JSONResponse({"statusCode": 200, "type": CARD_TYPE, "value": card})
    if action.get("verb") != REPLY_VERB:
        return _invoke_error(400, f"field 'verb' must be '{REPLY_VERB}'")
    try:
        card, _ = await asyncio.to_thread(record_any_press, service, action.get("data") or {}, _sender(activity))
    except (BadAction, BadToken) as exc:
        return _invoke_error(400, str(exc))
    return JSONResponse({"statusCode": 200, "type": CARD_TYPE, "value": card})


async def _submit(service: Service, channel, activity: dict) -> Response:
    """Action.Submit: record, then update the message the button was on."""
    try:
        card, _ = await asyncio.to_thread(record_any_press, service, activity.get("value") or {}, _sender(activity))
    except (BadAction, BadToken) as exc:
        return JSONResponse({"error": str(exc)}, status_code=400)
    if activity.get("replyToId"):
        try:
            await channel.connector.update(ConversationRef.from_activity(activity), activity["replyToId"], card_activity(card))
        except TransportError as exc:
            log.warning("reply saved, but the card could not be updated: %s", exc.message)
    return Response(status_code=200)


async def _typed_message(channel, activity: dict, service: Service | None = None) -> Response:
    """Typed text is not kept (it could name a child); the sender is told where answers go instead.
    "propose" or "moment" brings the matching form (issue 17)."""
    kind = teams_voice.command_of(activity.get("text"))
    if kind and service is not None:
        reply = card_activity(teams_voice.form_for(service, kind)) | {"replyToId": activity.get("id")}
    else:
        reply = {"type": "message", "text": TYPED_TEXT_ANSWER + " " + VOICE_HINT, "replyToId": activity.get("id")}
    try:
        await channel.connector.send(ConversationRef.from_activity(activity), reply)
    except TransportError as exc:
        log.warning("could not answer a typed message: %s", exc.message)
    return Response(status_code=200)


def _sender(activity: dict) -> str | None:
    return (activity.get("from") or {}).get("aadObjectId")


def _user_joined(activity: dict) -> bool:
    bot_id = (activity.get("recipient") or {}).get("id")
    return any(member.get("id") != bot_id for member in activity.get("membersAdded") or [])


async def _handle(service: Service, channel, activity: dict) -> Response:
    kind = activity.get("type")
    if kind == "invoke" and activity.get("name") == "adaptiveCard/action":
        return await _card_action(service, activity)
    if kind == "message" and isinstance(activity.get("value"), dict):
        return await _submit(service, channel, activity)
    if kind == "message" and is_personal(activity):
        return await _typed_message(channel, activity, service)
    if kind == "message":  # in a team channel the bot only hears messages that @mention it
        await answer_mention(service, channel, activity)
        return Response(status_code=200)
    installed = (kind == "installationUpdate" and activity.get("action") == "add") or (
        kind == "conversationUpdate" and _user_joined(activity)
    )
    if installed and is_personal(activity):
        await remember(service, channel.connector, activity)
    elif kind == "installationUpdate" and activity.get("action") == "remove" and is_personal(activity):
        await asyncio.to_thread(forget, service, activity)
    return Response(status_code=200)


@router.post(ENDPOINT)
async def messages(request: Request) -> Response:
    service: Service = request.app.state.service
    channel = cast("TeamsChannel | None", service.channels.get("teams"))
    if channel is None:
        return JSONResponse({"error": "Microsoft Teams is not configured"}, status_code=404)
    try:
        activity = await request.json()
    except ValueError:
        activity = None
    try:
        await channel.validator.validate(request.headers.get("authorization"), activity if isinstance(activity, dict) else {})
    except TeamsAuthError as exc:
        log.warning("Teams request refused: %s", exc)
        return JSONResponse({"error": "unauthorized"}, status_code=401)
    if not isinstance(activity, dict) or "serviceUrl" not in activity:
        return JSONResponse({"error": "the body must be a Bot Framework activity"}, status_code=400)
    return await _handle(service, channel, activity)
