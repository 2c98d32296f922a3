"""The one email a one-click share sends to the supervisor named in the roster (issue 17 part 5), through the
occasional-mail sender. It runs after the person's page has been answered, so the page is the same, and as
quick, whether the relay takes the address, refuses it or is down; failures are logged without the address."""

import logging

from sqlmodel import Session

from bot.core.clock import utcnow
from bot.core.service import Service
from bot.core.supervision import share_url
from bot.email.mailer import build_message, send_message
from digests.supervision import share_email
from schedules.models import Person
from schedules.share_period import describe
from schedules.supervision import SupervisionShare

log = logging.getLogger(__name__)


async def email_supervisor(service: Service, share_id: int) -> None:
    try:
        with Session(service.engine) as session:
            share = session.get(SupervisionShare, share_id)
            person = share and session.get(Person, share.person_id)
            if not share or not person or not share.sent_to or not share.open_at(utcnow()):
                return  # revoked or forgotten in the meantime: nothing to send
            parts = share_email(
                name=person.name,
                link=share_url(service, share),
                period=describe(share.period_start, share.period_end),
                expires=share.expires_at.date(),
                organisation=service.settings.organisation_name,
            )
            message = build_message(service.settings, to=share.sent_to, subject=parts.subject, text=parts.text, html=parts.html)
        await send_message(service.settings, message)
    except Exception as exc:  # a background send must not die silently, nor name who it was for
        log.warning("supervision share %s not emailed: %s", share_id, exc.__class__.__name__)
