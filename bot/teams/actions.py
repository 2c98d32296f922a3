"""A button pressed on a nudge card: record it through the one reply path, then redraw the card with
the answer and its explanation. Action.Execute (an invoke) gets the new card in its response;
Action.Submit (a message with a value) gets it by updating the sent activity."""

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlmodel import Session

from schedules.typed_text import normalised_text
from bot.core.replying import Answer, ReplyError, UnknownDelivery, safety_notice, save_reply
from bot.core.service import Service
from bot.core.signing import BadToken
from digests.cards import REFLECTION_INPUT, ReplyState, fitted_nudge_card
from digests.nudge import Nudge, NudgeLinks
from digests.loop_chat import checkin_card
from schedules.models import Delivery, Person
from schedules.rollout import CHECKIN
from schedules.replies import REFLECTION_LIMIT, ReplyRow


class BadAction(ValueError):
    """The card data cannot be used; the message names the field."""


@dataclass(frozen=True)
class PressedButton:
    token: str
    answer: Answer


def _int_field(data: dict, name: str) -> int | None:
    value = data.get(name)
    if value is None or value == "":
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise BadAction(f"field '{name}' must be a whole number, not {value!r}") from None


def parse_action(data: dict) -> PressedButton:
    """The card's data, as Teams sends it back (our button data plus the card's inputs)."""
    if not isinstance(data, dict) or data.get("lessonloop") != "reply":
        raise BadAction("field 'lessonloop' must be 'reply'")
    token = data.get("token")
    if not isinstance(token, str) or not token:
        raise BadAction("field 'token' is missing")
    reflection = data.get(REFLECTION_INPUT)
    if reflection is not None and not isinstance(reflection, str):
        raise BadAction(f"field '{REFLECTION_INPUT}' must be text")
    if reflection is not None:
        reflection = normalised_text(reflection)  # counted as the card's text box counted it
    if reflection and len(reflection) > REFLECTION_LIMIT:
        raise BadAction(f"field '{REFLECTION_INPUT}' is longer than {REFLECTION_LIMIT} characters")
    practice = data.get("practice")
    answer = Answer(_int_field(data, "check"), practice if isinstance(practice, str) and practice else None, reflection)
    if answer.check_answer is None and answer.practice is None and not (reflection or "").strip():
        raise BadAction("nothing to save: choose an answer or write a reflection")
    return PressedButton(token, answer)


def _state(reply: ReplyRow | None) -> ReplyState:
    if reply is None:
        return ReplyState()
    return ReplyState(reply.check_answer, reply.check_correct, reply.practice, bool(reply.reflection))


def _card_for(service: Service, session: Session, saved, token: str) -> dict:
    person = session.get(Person, saved.delivery.person_id)
    assert person is not None and person.id is not None  # the owner, checked before saving
    now = datetime.now(timezone.utc)
    links = NudgeLinks(
        service.reply_url(token),
        service.unsubscribe_url(service.signer.sign("unsubscribe", person.id, now + timedelta(days=365))),
    )
    if saved.delivery.kind == CHECKIN:  # a roll-out check-in shows the answers given, never the lesson or the right answer
        return checkin_card(saved.lesson, token, links.reply_url, _state(saved.reply))
    nudge = Nudge(person.name.split()[0], saved.lesson, links, saved.delivery.is_review)
    # The signpost, if any, goes first in an attention container, where it cannot be missed.
    return fitted_nudge_card(
        nudge, token, _state(saved.reply), notice=safety_notice(saved, service.settings.organisation_contact)
    )


def _check_owner(session: Session, delivery_id: int, sender_aad_id: str | None) -> None:
    """A card is only ever sent to one person; a press from anyone else, or from a sender Teams did not
    name, is refused (a missing id must never skip the check)."""
    if not sender_aad_id:
        raise BadToken("the press does not say who sent it")
    delivery = session.get(Delivery, delivery_id)
    person = delivery and delivery.person_id and session.get(Person, delivery.person_id)
    if not person or person.teams_user_id != sender_aad_id:
        raise BadToken("this card belongs to someone else")


def record_press(service: Service, data: dict, sender_aad_id: str | None) -> tuple[dict, int]:
    """Save the answer and return (the updated card, the delivery id). Raises BadAction or BadToken."""
    pressed = parse_action(data)
    delivery_id = service.signer.verify("reply", pressed.token, datetime.now(timezone.utc)).subject_id
    with Session(service.engine) as session:
        _check_owner(session, delivery_id, sender_aad_id)
        try:
            saved = save_reply(service, session, delivery_id=delivery_id, answer=pressed.answer)
        except (ReplyError, UnknownDelivery) as exc:
            raise BadAction(str(exc)) from None
        return _card_for(service, session, saved, pressed.token), delivery_id
