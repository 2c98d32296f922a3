"""People and teams: upsert a checked roster, and read who is reachable for planning."""
from collections.abc import Iterable
from datetime import datetime, time

from sqlalchemy import insert, update
from sqlmodel import Session, select

from schedules.models import Person, PersonStatus, Team
from schedules.planner import Recipient
from schedules.roster import RosterRow


PAGE = 1000  # people written per statement group: bounded IN lists and memory at any roster size


def team_ids(session: Session, teams: dict[str, str]) -> dict[str, int]:
    """{team name: agency} -> {team name: id}, creating the teams not yet known (a roster has few teams)."""
    found = {team.name: team for team in session.exec(select(Team).where(Team.name.in_(teams)))}
    for name, agency in teams.items():
        if name not in found:
            found[name] = Team(name=name, agency=agency)
            session.add(found[name])
    session.flush()
    return {name: team.id for name, team in found.items()}


def _values(row: RosterRow, team_id: int) -> dict:
    return {"name": row.name, "role": row.role, "agency": row.agency, "team_id": team_id, "timezone": row.timezone,
            "nudge_day": row.nudge_day, "nudge_time": row.nudge_time.strftime("%H:%M"), "access": row.access}


def upsert_page(session: Session, *, rows: list[RosterRow], teams: dict[str, int], default_channel: str,
                now: datetime) -> tuple[int, int]:
    """Insert or update up to a page of people by email, in three statements (no ORM objects: a million
    people stay flat). Returns (created, updated). The caller commits."""
    known = dict(session.execute(select(Person.email, Person.id).where(Person.email.in_([r.email for r in rows]))).all())
    new, changed = [], []
    for row in rows:
        values = _values(row, teams[row.team])
        if row.email in known:
            changed.append({"id": known[row.email], **values, **({"channel": row.channel} if row.channel else {})})
        else:
            new.append({"email": row.email, "created_at": now, "status": PersonStatus.ACTIVE,
                        "channel": row.channel or default_channel, **values})
    if new:
        session.execute(insert(Person), new)
    # rows that name a channel and rows that keep theirs differ in columns: one executemany for each shape
    for shape in (True, False):
        group = [values for values in changed if ("channel" in values) is shape]
        if group:
            session.execute(update(Person), group)
    return len(new), len(changed)


def upsert_roster(session: Session, *, rows: Iterable[RosterRow], default_channel: str, now: datetime,
                  teams: dict[str, str] | None = None) -> tuple[int, int]:
    """Insert or update people by email, a page at a time. Returns (created, updated). The caller commits.
    `teams` ({name: agency}, as the checking pass collects it) saves holding the rows to find them."""
    if teams is None:
        rows = list(rows)
        teams = {row.team: row.agency for row in rows}
    ids = team_ids(session, teams)
    created = updated = 0
    page: list[RosterRow] = []
    for row in rows:
        page.append(row)
        if len(page) == PAGE:
            counts = upsert_page(session, rows=page, teams=ids, default_channel=default_channel, now=now)
            created, updated, page = created + counts[0], updated + counts[1], []
    if page:
        counts = upsert_page(session, rows=page, teams=ids, default_channel=default_channel, now=now)
        created, updated = created + counts[0], updated + counts[1]
    return created, updated


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
