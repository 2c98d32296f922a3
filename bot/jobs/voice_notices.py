"""Tell proposers when their lesson is published (issue 17): one short message in their own channel (Slack
DM, Teams chat) or by email. Claimed with a conditional UPDATE before sending, so two replicas never send it
twice; released again if the send fails, so it is retried on a later tick, never dropped."""

import logging
from datetime import datetime
from typing import TYPE_CHECKING, cast

import aiosmtplib

from sqlalchemy import update
from sqlmodel import Session, col

from bot.core.service import Service
from bot.core.transport import TransportError
from bot.email.mailer import build_message, send_message
from schedules.models import Person, PersonStatus
from schedules.proposals import awaiting_notice
from schedules.voice_models import LessonProposal

if TYPE_CHECKING:
    from bot.slack.channel import SlackChannel
    from bot.teams.channel import TeamsChannel

log = logging.getLogger("lessonloop.jobs")


def published_text(title: str) -> str:
    return (
        f"Thank you: the lesson you proposed, \u201c{title}\u201d, is now published. It will reach colleagues "
        "in their weekly LessonLoop lessons."
    )


async def _send(service: Service, person: Person, text: str) -> None:
    slack = cast("SlackChannel | None", service.channels.get("slack"))
    teams = cast("TeamsChannel | None", service.channels.get("teams"))
    if person.channel == "slack" and slack is not None and person.slack_channel_id:
        await slack.api.post("chat.postMessage", channel=person.slack_channel_id, text=text)
        return
    if person.channel == "teams" and teams is not None and person.teams_conversation_json:
        from bot.teams.connector import ConversationRef

        await teams.connector.send(ConversationRef.from_json(person.teams_conversation_json), {"type": "message", "text": text})
        return
    html = f"<p>{text}</p>".replace("\u201c", "&ldquo;").replace("\u201d", "&rdquo;")
    await send_message(
        service.settings,
        build_message(service.settings, to=person.email, subject="Your lesson is published", text=text, html=html),
    )


def _claim(service: Service, proposal_id: int, now: datetime | None) -> bool:
    with Session(service.engine) as session:
        notice_at = col(LessonProposal.published_notice_at)
        condition = notice_at.is_(None) if now else notice_at.is_not(None)
        done = session.exec(
            update(LessonProposal).where(col(LessonProposal.id) == proposal_id, condition).values(published_notice_at=now)
        )
        session.commit()
        return done.rowcount == 1


async def send_published_notices(service: Service, now: datetime) -> int:
    published = {lesson_id for lesson_id, lesson in service.lessons.items() if lesson.local and lesson.is_sendable(now.date())}
    with Session(service.engine) as session:
        due = [(p.id, p.lesson_id, p.person_id) for p in awaiting_notice(session, published=published)]
    sent = 0
    for proposal_id, lesson_id, person_id in due:
        assert proposal_id is not None and lesson_id is not None  # stored rows, picked by their published lesson id
        if not _claim(service, proposal_id, now):
            continue
        with Session(service.engine) as session:
            person = person_id and session.get(Person, person_id)
            if not person or person.status in (PersonStatus.LEFT, PersonStatus.UNSUBSCRIBED):
                continue  # nobody to tell; the claim stays so we do not look again
            session.expunge(person)
        try:
            await _send(service, person, published_text(service.lessons[lesson_id].title))
            sent += 1
        except (TransportError, OSError, aiosmtplib.SMTPException) as exc:
            log.warning("publication notice for proposal %s not sent, will retry: %s", proposal_id, exc)
            _claim(service, proposal_id, None)
    return sent
