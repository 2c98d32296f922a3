"""When the app is installed for someone, remember where their personal chat is; when it is removed,
forget it (the next nudge then falls back to email, with the reason recorded)."""
import logging

from sqlalchemy import func
from sqlmodel import Session, select

from bot.core.service import Service
from bot.teams.connector import Connector, ConversationRef
from bot.core.transport import TransportError
from schedules.models import Person

log = logging.getLogger("lessonloop.teams")


def is_personal(activity: dict) -> bool:
    return (activity.get("conversation") or {}).get("conversationType", "personal") == "personal"


def _by_aad_id(session: Session, aad_object_id: str | None) -> Person | None:
    if not aad_object_id:
        return None
    return session.exec(select(Person).where(Person.teams_user_id == aad_object_id)).first()


def _by_email(session: Session, member: dict) -> Person | None:
    for address in (member.get("email"), member.get("userPrincipalName")):
        if address:
            person = session.exec(select(Person).where(func.lower(Person.email) == address.strip().lower())).first()
            if person:
                return person
    return None


async def _match(session: Session, connector: Connector, ref: ConversationRef) -> tuple[Person | None, str | None]:
    """The person an install is for, and their AAD object id (from the activity, else their profile)."""
    person = _by_aad_id(session, ref.aad_object_id)
    if person is not None:
        return person, ref.aad_object_id
    try:
        member = await connector.member(ref)
    except TransportError as exc:
        log.warning("Teams install: cannot look up the member: %s", exc.message)
        return None, None
    return _by_email(session, member), ref.aad_object_id or member.get("aadObjectId") or member.get("objectId")


async def remember(service: Service, connector: Connector, activity: dict) -> Person | None:
    """Store the conversation reference on the matching person (by AAD object id, else by the email
    Teams gives for the member). Nobody matching: nothing is stored, and the log says so."""
    ref = ConversationRef.from_activity(activity)
    with Session(service.engine) as session:
        person, aad_object_id = await _match(session, connector, ref)
        if person is None:
            log.warning("Teams install by someone not on the roster (aad id %s); nothing stored", ref.aad_object_id)
            return None
        person.teams_user_id, person.teams_conversation_json, person.channel = aad_object_id, ref.to_json(), "teams"
        session.add(person)
        session.commit()
        session.refresh(person)
        return person


def forget(service: Service, activity: dict) -> None:
    aad_object_id = (activity.get("from") or {}).get("aadObjectId")
    with Session(service.engine) as session:
        person = _by_aad_id(session, aad_object_id)
        if person is not None:
            person.teams_conversation_json = None
            session.add(person)
            session.commit()
