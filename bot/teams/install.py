"""When the app is installed for someone, remember where their personal chat is; when it is removed,
forget it (the next nudge then falls back to email, with the reason recorded)."""

import asyncio
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


def _person_id_by_aad(service: Service, aad_object_id: str | None) -> int | None:
    with Session(service.engine) as session:
        person = _by_aad_id(session, aad_object_id)
        return person.id if person else None


def _person_id_by_email(service: Service, member: dict) -> int | None:
    with Session(service.engine) as session:
        person = _by_email(session, member)
        return person.id if person else None


async def _match(service: Service, connector: Connector, ref: ConversationRef) -> tuple[int | None, str | None]:
    """The person an install is for, and their AAD object id (from the activity, else their profile).
    No database session stays open across the call to Teams, and the queries run off the event loop."""
    person_id = await asyncio.to_thread(_person_id_by_aad, service, ref.aad_object_id)
    if person_id is not None:
        return person_id, ref.aad_object_id
    try:
        member = await connector.member(ref)
    except TransportError as exc:
        log.warning("Teams install: cannot look up the member: %s", exc.message)
        return None, None
    person_id = await asyncio.to_thread(_person_id_by_email, service, member)
    return person_id, ref.aad_object_id or member.get("aadObjectId") or member.get("objectId")


def _store(service: Service, person_id: int, aad_object_id: str | None, ref: ConversationRef) -> Person | None:
    with Session(service.engine) as session:
        person = session.get(Person, person_id)
        if person is None:  # forgotten while Teams was answering
            return None
        person.teams_user_id, person.teams_conversation_json, person.channel = aad_object_id, ref.to_json(), "teams"
        session.add(person)
        session.commit()
        session.refresh(person)
        return person


async def remember(service: Service, connector: Connector, activity: dict) -> Person | None:
    """Store the conversation reference on the matching person (by AAD object id, else by the email
    Teams gives for the member). Nobody matching: nothing is stored, and the log says so."""
    ref = ConversationRef.from_activity(activity)
    person_id, aad_object_id = await _match(service, connector, ref)
    if person_id is None:
        log.warning("Teams install by someone not on the roster (aad id %s); nothing stored", ref.aad_object_id)
        return None
    return await asyncio.to_thread(_store, service, person_id, aad_object_id, ref)


def forget(service: Service, activity: dict) -> None:
    aad_object_id = (activity.get("from") or {}).get("aadObjectId")
    with Session(service.engine) as session:
        person = _by_aad_id(session, aad_object_id)
        if person is not None:
            person.teams_conversation_json = None
            session.add(person)
            session.commit()
