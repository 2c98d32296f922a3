"""The weekly emails: each team's agenda item to its lead before the meeting, and the statistics digest
to each safeguarding lead on Monday morning. A row in `digestsent` is claimed before sending (so two
replicas never both send) and released if the send fails (so the next tick tries again)."""
import logging
from datetime import datetime, time, timedelta

import aiosmtplib
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from bot.core.agenda import agenda_link, current_agenda
from bot.email.mailer import build_message, send_message
from bot.core.service import Service
from bot.core.stats import barriers, stats_table
from digests.agenda_render import agenda_email
from digests.digest import Digest, build_digest, digest_email
from digests.statistics import build_table
from schedules.models import DigestSent, Person, PersonStatus, Team
from schedules.slots import weekly_slot
from schedules.statistics import Filter, grouped, overall

log = logging.getLogger("lessonloop.weekly")
AGENDA_LEAD_TIME = timedelta(days=2)  # the lead gets the item two days before the meeting
DIGEST_DAY, DIGEST_TIME = 0, time(8, 0)  # Monday 08:00, the lead's own time


def _claim(session: Session, kind: str, recipient: int, period: str, now: datetime) -> bool:
    session.add(DigestSent(kind=kind, recipient=str(recipient), period=period, sent_at=now))
    try:
        session.commit()
        return True
    except IntegrityError:
        session.rollback()
        return False


def _release(session: Session, kind: str, recipient: int, period: str) -> None:
    session.execute(delete(DigestSent).where(DigestSent.kind == kind, DigestSent.recipient == str(recipient), DigestSent.period == period))
    session.commit()


async def _send_claimed(service: Service, session: Session, key: tuple[str, int, str], message) -> bool:
    try:
        await send_message(service.settings, message)
        return True
    except (TimeoutError, OSError, aiosmtplib.SMTPException) as exc:  # released: the next tick tries again
        log.warning("weekly %s for %s not sent: %s", key[0], key[1], exc)
        _release(session, *key)
        return False


async def send_agendas(service: Service, now: datetime) -> int:
    sent = 0
    with Session(service.engine) as session:
        for team in session.exec(select(Team).where(Team.lead_person_id.is_not(None))).all():
            lead = session.get(Person, team.lead_person_id)
            hour, minute = (int(x) for x in team.meeting_time.split(":"))
            slot = weekly_slot(team.timezone, team.meeting_day, time(hour, minute), now)
            if lead is None or lead.status != PersonStatus.ACTIVE or not (slot.at - AGENDA_LEAD_TIME <= now < slot.at):
                continue
            item = current_agenda(service, session, team_id=team.id, week=slot.period)
            if item is None or not _claim(session, "agenda", team.id, slot.period, now):
                continue
            parts = agenda_email(item, agenda_link(service, team.id, slot.period), service.settings.organisation_name)
            message = build_message(service.settings, to=lead.email, to_name=lead.name, subject=parts.subject, text=parts.text,
                                    html=parts.html)
            sent += await _send_claimed(service, session, ("agenda", team.id, slot.period), message)
    return sent


def lead_digest(service: Service, session: Session, lead: Person, week: str, now: datetime) -> Digest:
    """The digest for one safeguarding lead's agency, over the last 12 weeks."""
    where = Filter(start=(now - timedelta(weeks=12)).date(), end=now.date(), agency=lead.agency)
    weeks = stats_table(service, session, by="week", where=where)
    themes = stats_table(service, session, by="theme", where=where)
    lessons = build_table("lesson", grouped(session, by="theme", where=where, theme_of={}), overall(session, where=where),
                          min_cell=service.settings.min_cell, labels={i: l.title for i, l in service.lessons.items()})
    digest = build_digest(scope=lead.agency or "all teams", week=week, weeks=weeks, themes=themes, lessons=lessons,
                          barriers=barriers(service, session, where=where))
    return digest


async def send_digests(service: Service, now: datetime) -> int:
    sent = 0
    with Session(service.engine) as session:
        leads = session.exec(select(Person).where(Person.access == "safeguarding_lead", Person.status == PersonStatus.ACTIVE)).all()
        for lead in leads:
            slot = weekly_slot(lead.timezone, DIGEST_DAY, DIGEST_TIME, now)
            if now < slot.at or not _claim(session, "lead_digest", lead.id, slot.period, now):
                continue
            digest = lead_digest(service, session, lead, slot.period, now)
            parts = digest_email(digest, dashboard_url=f"{service.settings.base_url.rstrip('/')}/dashboard",
                                 organisation=service.settings.organisation_name, recipient_name=lead.name.split()[0])
            message = build_message(service.settings, to=lead.email, to_name=lead.name, subject=parts.subject, text=parts.text,
                                    html=parts.html)
            sent += await _send_claimed(service, session, ("lead_digest", lead.id, slot.period), message)
    return sent


async def send_weekly(service: Service, now: datetime) -> tuple[int, int]:
    return await send_agendas(service, now), await send_digests(service, now)
