"""Asking for a dashboard sign-in link: the page answers the same way, in the same time, for every
address. Only the rate limits and the audit record run before the answer, and they do the same work
whoever asks; looking the address up, making the link and talking to the mail relay happen after the
answer has been sent, so neither a slow relay nor a failing one shows who is a lead."""

import logging

from sqlmodel import Session

from bot.core.clock import utcnow
from bot.core.pacing import KeyedLimiters, Window
from bot.core.service import Service
from bot.email.mailer import build_message, send_message
from bot.web import dashboard_auth as auth
from digests.signin import signin_email
from schedules import audit

log = logging.getLogger(__name__)

PER_ADDRESS: tuple[Window, ...] = ((3, 900.0),)  # 3 links per address in 15 minutes
PER_CLIENT: tuple[Window, ...] = ((20, 900.0),)  # 20 requests per client address in 15 minutes


class RequestLimits:
    """Per address and per client; one set per app (kept on app.state)."""

    def __init__(self) -> None:
        self.by_address, self.by_client = KeyedLimiters(PER_ADDRESS), KeyedLimiters(PER_CLIENT)

    def allow(self, address: str, client: str) -> bool:
        # The client is charged even when the address is refused, so a sweep over many addresses still stops.
        client_ok = self.by_client[client].try_acquire()
        return self.by_address[address].try_acquire() and client_ok


def normalised(email: str) -> str:
    return email.strip().lower()[:254]


def record_request(service: Service, address: str, client: str) -> None:
    """The audit row for a link request: written for every address, lead or not, before the answer."""
    with Session(service.engine) as session:
        audit.record(session, actor=address, action="dashboard.link_requested", detail=f"client {client}", now=utcnow())
        session.commit()


async def send_link(service: Service, address: str) -> None:
    """After the answer: a link only for an active lead or admin. Failures are logged without the address."""
    try:
        with Session(service.engine) as session:
            person = auth.eligible(session, address)
            link = person and auth.new_link(service, session, person, utcnow())
            to, name = (person.email, person.name) if person else (None, "")
        if not link or not to:
            return
        parts = signin_email(link, service.settings.organisation_name)
        message = build_message(service.settings, to=to, to_name=name, subject=parts.subject, text=parts.text, html=parts.html)
        await send_message(service.settings, message)
    except Exception as exc:  # a background send must not die silently, nor name who it was for
        log.warning("dashboard sign-in link not sent: %s", exc.__class__.__name__)
