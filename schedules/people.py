"""People and teams: upsert a checked roster, and read who is reachable for planning."""
from datetime import datetime, time

from sqlmodel import Session, select

from schedules.models import Person, PersonStatus, Team
from schedules.planner import Recipient
from schedules.roster import RosterRow


CHUNK = 5000  # PostgreSQL takes at most 65,535 bound values in one statement: look rosters up in chunks


def _chunks(values: list[str]) -> list[list[str]]:
    return [values[i:i + CHUNK] for i in range(0, len(values), CHUNK)]


def _team_ids(session: Session, rows: list[RosterRow]) -> dict[str, int]:
    wanted = {row.team: row.agency for row in rows}
    teams = {team.name: team for names in _chunks(list(wanted))
             for team in session.exec(select(Team).where(Team.name.in_(names)))}
    for name, agency in wanted.items():
        if name not in teams:
            teams[name] = Team(name=name, agency=agency)
            session.add(teams[name])
    session.flush()
    return {name: team.id for name, team in teams.items()}


def upsert_roster(session: Session, *, rows: list[RosterRow], default_channel: str, now: datetime) -> tuple[int, int]:
    """Insert or update people by email. Returns (created, updated). The caller commits."""
    team_ids = _team_ids(session, rows)
    existing = {p.email: p for emails in _chunks([r.email for r in rows])
                for p in session.exec(select(Person).where(Person.email.in_(emails)))}
    created = 0
    for row in rows:
        person = existing.get(row.email)
        if person is None:
            person = Person(email=row.email, created_at=now, name=row.name, role=row.role)
            created += 1
        person.name, person.role, person.agency = row.name, row.role, row.agency
        person.team_id = team_ids[row.team]
        person.timezone, person.nudge_day = row.timezone, row.nudge_day
        person.nudge_time = row.nudge_time.strftime("%H:%M")
        person.channel = row.channel or (person.channel if person.id else default_channel)
        person.access = row.access
        if row.reminders is not None:
            person.reminders = row.reminders
        session.add(person)
    return created, len(rows) - created


def recipient(person: Person) -> Recipient:
    hour, minute = (int(part) for part in person.nudge_time.split(":"))
    return Recipient(
        id=person.id, role=person.role, timezone=person.timezone, nudge_day=person.nudge_day,
        nudge_time=time(hour, minute), channel=person.channel, status=person.status, paused_until=person.paused_until,
        team_id=person.team_id, agency=person.agency,
    )


def planning_recipients(session: Session, *, after_id: int = 0, limit: int | None = None) -> list[Recipient]:
    """People who may be nudged, in id order; page with after_id/limit so memory stays flat."""
    statuses = [PersonStatus.ACTIVE, PersonStatus.PAUSED]
    query = select(Person).where(Person.status.in_(statuses), Person.id > after_id).order_by(Person.id)
    return [recipient(p) for p in session.exec(query.limit(limit) if limit else query)]


def find_person(session: Session, *, email: str) -> Person | None:
    return session.exec(select(Person).where(Person.email == email.strip().lower())).first()
