"""Dashboard sign-in: a link sent by email to leads and admins (signed, short-lived, single use), then a
signed session cookie. Who may see what is decided here, once: a team lead their team, a safeguarding
lead their agency, an admin everything."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import Session, col, select

from bot.core.service import Service

from bot.core.clock import utcnow
from bot.core.signing import BadToken
from schedules import audit
from schedules.models import Person, PersonStatus, SignInLink, Team
from schedules.statistics import Filter

LEAD_ACCESS = ("team_lead", "safeguarding_lead", "admin")
LINK_LIFETIME = timedelta(minutes=15)
SESSION_LIFETIME = timedelta(hours=4)  # a shared office computer left signed in stays open for less
COOKIE = "ll_dashboard"


class Forbidden(PermissionError):
    pass


@dataclass(frozen=True)
class Viewer:
    person_id: int
    email: str
    access: str
    team_id: int | None
    agency: str


def eligible(session: Session, email: str) -> Person | None:
    person = session.exec(select(Person).where(Person.email == email.strip().lower())).first()
    if person is None or person.access not in LEAD_ACCESS or person.status != PersonStatus.ACTIVE:
        return None
    return person


def new_link(service: Service, session: Session, person: Person, now: datetime) -> str:
    assert person.id is not None  # a stored person
    link = SignInLink(person_id=person.id, expires_at=now + LINK_LIFETIME, created_at=now)
    session.add(link)
    session.commit()
    assert link.id is not None  # inserted
    token = service.signer.sign("signin", link.id, link.expires_at)
    return f"{service.settings.base_url.rstrip('/')}/dashboard/s/{token}"


def redeem(service: Service, session: Session, token: str, now: datetime) -> str:
    """Use a sign-in link (once) and return the session cookie value. Raises BadToken."""
    link_id = service.signer.verify("signin", token, now).subject_id
    used = session.exec(
        update(SignInLink)
        .where(col(SignInLink.id) == link_id, col(SignInLink.used_at).is_(None), col(SignInLink.expires_at) > now)
        .values(used_at=now)
    )
    link = session.get(SignInLink, link_id)
    person = session.get(Person, link.person_id) if link is not None else None
    if used.rowcount != 1 or person is None or person.access not in LEAD_ACCESS:
        session.rollback()
        raise BadToken("this sign-in link has been used or has expired; ask for a new one")
    assert person.id is not None  # a stored person
    audit.record(session, actor=person.email, action="dashboard.sign_in", now=now)
    session.commit()
    return service.signer.sign("dashboard", person.id, now + SESSION_LIFETIME)


def _lead_team(session: Session, person: Person) -> int | None:
    led = session.exec(select(Team.id).where(Team.lead_person_id == person.id)).first()
    return led or person.team_id


def viewer(service: Service, session: Session, cookie: str | None) -> Viewer | None:
    if not cookie:
        return None
    try:
        person_id = service.signer.verify("dashboard", cookie, utcnow()).subject_id
    except BadToken:
        return None
    person = session.get(Person, person_id)
    if person is None or person.access not in LEAD_ACCESS or person.status != PersonStatus.ACTIVE:
        return None
    assert person.id is not None  # a stored person
    return Viewer(person.id, person.email, person.access, _lead_team(session, person), person.agency)


def scoped(session: Session, who: Viewer, where: Filter, team_name: str | None) -> Filter:
    """The viewer's own scope; asking for a team outside it is refused, never silently widened."""
    team = session.exec(select(Team).where(Team.name == team_name)).first() if team_name else None
    if team_name and team is None:
        raise Forbidden(f"no team named '{team_name}'")
    if who.access == "team_lead":
        if team is not None and team.id != who.team_id:
            raise Forbidden("a team lead sees only their own team")
        return Filter(where.start, where.end, team_id=who.team_id if who.team_id is not None else -1)
    if who.access == "safeguarding_lead":
        if team is not None and team.agency != who.agency:
            raise Forbidden("a safeguarding lead sees only their own agency")
        return Filter(where.start, where.end, team_id=team.id if team else None, agency=who.agency)
    return Filter(where.start, where.end, team_id=team.id if team else None)
