"""The weekly emails: each team's agenda item to its lead before the meeting, and the statistics digest
to each safeguarding lead on Monday morning. A row in `digestsent` is claimed before sending through the
one lease helper (so two replicas never both send) and released if the send fails (so the next tick
tries again)."""

import logging
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import aiosmtplib
from sqlalchemy import and_
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from bot.core.agenda import agenda_link, current_agenda
from bot.email.mailer import build_message, send_message
from bot.core.loop_figures import loop_table
from bot.core.service import Service
from bot.core.stats import aligned, barriers, published_groups, stats_table
from digests.loop_impact import with_loop_section
from digests.agenda_render import agenda_email
from digests.digest import Digest, build_digest, digest_email
from digests.statistics import build_table
from schedules import leases
from schedules.leases import Claimant
from schedules.models import DigestSent, Person, PersonStatus, Team
from schedules.planner import is_held
from schedules.rollout_store import wave_starts
from schedules.slots import weekly_slot
from schedules.statistics import Filter

log = logging.getLogger("lessonloop.weekly")
# One email is one SMTP exchange (30 s timeout), so no renewal: the lease outlives it.
CLAIMANT = Claimant(lease=timedelta(minutes=5))
AGENDA_LEAD_TIME = timedelta(days=2)  # the lead gets the item two days before the meeting
DIGEST_DAY, DIGEST_TIME = 0, time(8, 0)  # Monday 08:00, the lead's own time


def _claim(session: Session, kind: str, recipient: int, period: str, now: datetime) -> int | None:
    """Write the email's row if it is new, then claim it (schedules.leases). None: sent already, or
    another replica is sending it."""
    slot = and_(col(DigestSent.kind) == kind, col(DigestSent.recipient) == str(recipient), col(DigestSent.period) == period)
    if session.exec(select(DigestSent.id).where(slot)).first() is None:
        session.add(DigestSent(kind=kind, recipient=str(recipient), period=period))
        try:
            session.commit()
        except IntegrityError:
            session.rollback()  # another replica wrote it first; the claim decides who sends
    claimed = leases.claim(
        session, DigestSent, ready=col(DigestSent.status) == "pending", among=slot, claimant=CLAIMANT, now=now, limit=1
    )
    return claimed[0] if claimed else None


def _finish(session: Session, row_id: int, now: datetime, sent: bool) -> None:
    """Sent, or released (back to pending) so the next tick tries again."""
    values = {"status": "sent", "sent_at": now} if sent else {"status": "pending"}
    leases.finish(session, DigestSent, [(row_id, values)], claimant=CLAIMANT, held_only=not sent)
    session.commit()


async def _send_claimed(service: Service, session: Session, row_id: int, what: str, message, now: datetime) -> bool:
    try:
        await send_message(service.settings, message)
        sent = True
    except (TimeoutError, OSError, aiosmtplib.SMTPException) as exc:  # released: the next tick tries again
        log.warning("weekly %s not sent: %s", what, exc)
        sent = False
    _finish(session, row_id, now, sent)
    return sent


async def send_agendas(service: Service, now: datetime) -> int:
    sent = 0
    with Session(service.engine) as session:
        starts = wave_starts(session)  # a team held in a staged roll-out has no lessons to discuss yet
        for team in session.exec(select(Team).where(col(Team.lead_person_id).is_not(None))).all():
            assert team.id is not None  # a stored team
            lead = session.get(Person, team.lead_person_id)
            hour, minute = (int(x) for x in team.meeting_time.split(":"))
            slot = weekly_slot(team.timezone, team.meeting_day, time(hour, minute), now)
            if lead is None or lead.status != PersonStatus.ACTIVE or not (slot.at - AGENDA_LEAD_TIME <= now < slot.at):
                continue
            if is_held(starts, team.id, slot.at.astimezone(ZoneInfo(team.timezone)).date()):
                continue
            item = current_agenda(service, session, team_id=team.id, week=slot.period)
            if item is None or (row_id := _claim(session, "agenda", team.id, slot.period, now)) is None:
                continue
            parts = agenda_email(item, agenda_link(service, team.id, slot.period), service.settings.organisation_name)
            message = build_message(
                service.settings, to=lead.email, to_name=lead.name, subject=parts.subject, text=parts.text, html=parts.html
            )
            sent += await _send_claimed(service, session, row_id, f"agenda for team {team.id}", message, now)
    return sent


def lead_digest(service: Service, session: Session, lead: Person, week: str, now: datetime) -> Digest:
    """The digest for one safeguarding lead's agency, over the last 12 weeks."""
    where = aligned(Filter(start=(now - timedelta(weeks=12)).date(), end=now.date(), agency=lead.agency))
    weeks = stats_table(service, session, by="week", where=where)
    themes = stats_table(service, session, by="theme", where=where)
    lesson_rows, total = published_groups(service, session, by="lesson", where=where)
    lessons = build_table(
        "lesson",
        lesson_rows,
        total,
        min_cell=service.settings.min_cell,
        labels={i: l.title for i, l in service.lessons.items()},
    )
    digest = build_digest(
        scope=lead.agency or "all teams",
        week=week,
        weeks=weeks,
        themes=themes,
        lessons=lessons,
        barriers=barriers(service, session, where=where, today=now.date()),
    )
    return digest


async def send_digests(service: Service, now: datetime) -> int:
    sent = 0
    with Session(service.engine) as session:
        leads = session.exec(
            select(Person).where(Person.access == "safeguarding_lead", Person.status == PersonStatus.ACTIVE)
        ).all()
        for lead in leads:
            assert lead.id is not None  # a stored person
            slot = weekly_slot(lead.timezone, DIGEST_DAY, DIGEST_TIME, now)
            if now < slot.at or (row_id := _claim(session, "lead_digest", lead.id, slot.period, now)) is None:
                continue
            digest = lead_digest(service, session, lead, slot.period, now)
            parts = digest_email(
                digest,
                dashboard_url=f"{service.settings.base_url.rstrip('/')}/dashboard",
                organisation=service.settings.organisation_name,
                recipient_name=lead.name.split()[0],
            )
            parts = with_loop_section(
                parts,
                loop_table(
                    service,
                    session,
                    by="week",
                    where=Filter(  # issue 13
                        start=(now - timedelta(weeks=12)).date(), end=now.date(), agency=lead.agency
                    ),
                ),
            )
            message = build_message(
                service.settings, to=lead.email, to_name=lead.name, subject=parts.subject, text=parts.text, html=parts.html
            )
            sent += await _send_claimed(service, session, row_id, f"digest for person {lead.id}", message, now)
    return sent


async def send_weekly(service: Service, now: datetime) -> tuple[int, int]:
    return await send_agendas(service, now), await send_digests(service, now)
