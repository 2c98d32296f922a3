"""A press on a follow-up card (issue 13) in Teams: record it through bot.core.replying.save_followup and
redraw the card with the answer. Presses on nudge and reminder cards go on to bot.teams.actions."""

from datetime import datetime, timezone

from sqlmodel import Session

from bot.core.loop_sending import redrawn_message
from bot.core.replying import FollowUpReply, ReplyError, UnknownDelivery, safety_notice, save_followup
from bot.core.service import Service
from bot.core.signing import BadToken
from bot.teams.actions import BadAction, record_press
from digests.loop_chat import BARRIER_INPUT, followup_card
from schedules.models import Delivery, Person


def parse_followup(data: dict) -> tuple[str, FollowUpReply]:
    token = data.get("token")
    if not isinstance(token, str) or not token:
        raise BadAction("field 'token' is missing")
    outcome, barrier = data.get("outcome"), data.get(BARRIER_INPUT)
    if outcome is not None and not isinstance(outcome, str):
        raise BadAction("field 'outcome' must be text")
    if barrier is not None and not isinstance(barrier, str):
        raise BadAction(f"field '{BARRIER_INPUT}' must be text")
    return token, FollowUpReply(outcome or None, barrier)


def record_followup_press(service: Service, data: dict, sender_aad_id: str | None) -> tuple[dict, int]:
    token, answer = parse_followup(data)
    now = datetime.now(timezone.utc)
    delivery_id = service.signer.verify("followup", token, now).subject_id
    with Session(service.engine) as session:
        delivery = session.get(Delivery, delivery_id)
        person = session.get(Person, delivery.person_id) if delivery is not None and delivery.person_id else None
        if (
            delivery is None
            or person is None
            or (person.teams_user_id and sender_aad_id and person.teams_user_id != sender_aad_id)
        ):
            raise BadToken("this card belongs to someone else")
        try:
            saved = save_followup(service, session, delivery_id=delivery_id, answer=answer)
        except (ReplyError, UnknownDelivery) as exc:
            raise BadAction(str(exc)) from None
        message = redrawn_message(service, session, delivery=delivery, person=person, lesson=saved.lesson, now=now)
        card = followup_card(message, token, saved.answer.outcome, bool(saved.answer.barrier))
        notice = safety_notice(saved, service.settings.organisation_contact)
        if notice:
            card["body"].insert(0, {"type": "TextBlock", "text": notice, "wrap": True, "color": "Attention", "weight": "Bolder"})
        return card, delivery_id


def record_any_press(service: Service, data: dict, sender_aad_id: str | None) -> tuple[dict, int]:
    if isinstance(data, dict) and data.get("lessonloop") == "followup":
        return record_followup_press(service, data, sender_aad_id)
    return record_press(service, data, sender_aad_id)
