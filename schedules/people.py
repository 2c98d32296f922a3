"""People and teams: upsert a checked roster, and read who is reachable for planning."""

from collections.abc import Iterable
from datetime import date, datetime, time
from functools import lru_cache

from sqlalchemy import insert, update
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import Select

from schedules.models import PLAN_NOW, Person, PersonStatus, Team
from schedules.planner import Recipient
from schedules.roster import RosterRow


PAGE = 1000  # people written per statement group: bounded IN lists and memory at any roster size


def team_ids(session: Session, teams: dict[str, str]) -> dict[str, int]:
    """{team name: agency} -> {team name: id}, creating the teams not yet known (a roster has few teams)."""
    found = {team.name: team for team in session.exec(select(Team).where(col(Team.name).in_(teams)))}
    for name, agency in teams.items():
        if name not in found:
            found[name] = Team(name=name, agency=agency)
            session.add(found[name])
    session.flush()
    ids: dict[str, int] = {}
    for name, team in found.items():
        assert team.id is not None  # stored, or flushed just above
        ids[name] = team.id
    return ids


def _values(row: RosterRow, team_id: int) -> dict:
    return {
        "name": row.name,
        "role": row.role,
        "agency": row.agency,
        "team_id": team_id,
        "timezone": row.timezone,
        "nudge_day": row.nudge_day,
        "nudge_time": row.nudge_time.strftime("%H:%M"),
        "access": row.access,
    }


def upsert_page(
    session: Session, *, rows: list[RosterRow], teams: dict[str, int], default_channel: str, now: datetime
) -> tuple[int, int]:
    """Insert or update up to a page of people by email, in three statements (no ORM objects: a million
    people stay flat). Returns (created, updated). The caller commits."""
    known: dict[str, int | None] = dict(
        session.execute(select(Person.email, Person.id).where(col(Person.email).in_([r.email for r in rows]))).all()
    )
    new, changed = [], []
    for row in rows:
        values = _values(row, teams[row.team])
        if row.email in known:
            changed.append(
                {
                    "id": known[row.email],
                    "next_plan_at": PLAN_NOW,
                    **values,  # bulk: no ORM event fires
                    **({"channel": row.channel} if row.channel else {}),
                    **({"reminders": row.reminders} if row.reminders is not None else {}),
                    **({"supervisor_email": row.supervisor_email or None} if row.supervisor_email is not None else {}),
                }
            )
        else:
            new.append(
                {
                    "email": row.email,
                    "created_at": now,
                    "status": PersonStatus.ACTIVE,
                    "next_plan_at": PLAN_NOW,
                    "channel": row.channel or default_channel,
                    "reminders": row.reminders is not False,
                    "supervisor_email": row.supervisor_email or None,
                    **values,
                }
            )
    if new:
        session.execute(insert(Person), new)
    # rows that name a channel, a reminders switch or a supervisor and rows that keep theirs differ in columns:
    # one executemany for each shape
    shapes: dict[frozenset[str], list[dict]] = {}
    for values in changed:
        shapes.setdefault(frozenset(values), []).append(values)
    for group in shapes.values():
        session.execute(update(Person), group)
    return len(new), len(changed)


def upsert_roster(
    session: Session, *, rows: Iterable[RosterRow], default_channel: str, now: datetime, teams: dict[str, str] | None = None
) -> tuple[int, int]:
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


# In Recipient's field order, then next_plan_at: _recipients builds each one from a row by position.
_RECIPIENT_COLUMNS = (
    col(Person.id),
    col(Person.role),
    col(Person.timezone),
    col(Person.nudge_day),
    col(Person.nudge_time),
    col(Person.channel),
    col(Person.status),
    col(Person.paused_until),
    col(Person.team_id),
    col(Person.agency),
    col(Person.next_plan_at),
)


@lru_cache(maxsize=1024)
def _clock(text: str) -> time:
    """ "HH:MM" as a time: a roster has a few nudge times, read for every person planned."""
    hour, minute = (int(part) for part in text.split(":"))
    return time(hour, minute)


def recipient(row) -> Recipient:
    """A Person (or a row of its planning columns) as the planner sees it."""
    return Recipient(
        id=row.id,
        role=row.role,
        timezone=row.timezone,
        nudge_day=row.nudge_day,
        nudge_time=_clock(row.nudge_time),
        channel=row.channel,
        status=row.status,
        paused_until=row.paused_until,
        team_id=row.team_id,
        agency=row.agency,
    )


def planning_recipients(
    session: Session,
    *,
    due_by: datetime | None = None,
    after: tuple[datetime, int] | None = None,
    limit: int | None = None,
    team_ids: list[int] | None = None,
) -> list[tuple[Recipient, datetime]]:
    """People who may be nudged, each with their next_plan_at; page with `after` (the last pair) and `limit`.

    With `due_by`: only those whose next_plan_at has come, in (next_plan_at, id) order through that index, so
    when nobody is due this is one index probe however many people there are; people whose time planning
    moves past `due_by` do not come round again. Without: everyone, in id order."""
    statuses = [PersonStatus.ACTIVE, PersonStatus.PAUSED]
    # sqlmodel's select() is typed for at most four columns; for more it builds this same Select.
    query: Select[int | None, str, str, int, str, str, str, date | None, int | None, str, datetime] = Select(*_RECIPIENT_COLUMNS)
    query = query.where(col(Person.status).in_(statuses))
    if team_ids is not None:
        query = query.where(col(Person.team_id).in_(team_ids))
    if due_by is None:
        query = query.where(col(Person.id) > (after[1] if after else 0)).order_by(col(Person.id))
        return _recipients(session, query.limit(limit) if limit else query)
    query = query.order_by(col(Person.next_plan_at), col(Person.id))
    if after is None:
        due = query.where(col(Person.next_plan_at) <= due_by)
        return _recipients(session, due.limit(limit) if limit else due)
    # The rest of the page's time, then later times: each a seek into the index. As one comparison of
    # (next_plan_at, id) pairs SQLite seeks on the time alone and walks every id already planned at that time,
    # so a page cost more the further it was (at a million people due at one slot, minutes of rescanning).
    at, last_id = after
    page = _recipients(session, query.where(col(Person.next_plan_at) == at, col(Person.id) > last_id).limit(limit))
    if limit is None or len(page) < limit:
        later = query.where(col(Person.next_plan_at) > at, col(Person.next_plan_at) <= due_by)
        page += _recipients(session, later.limit(limit - len(page)) if limit else later)
    return page


def _recipients(session: Session, query) -> list[tuple[Recipient, datetime]]:
    # Core rows unpacked by position (no ORM loading, no lookup by name): a page is thousands of people
    return [
        (Recipient(pid, role, tz, day, _clock(at), channel, status, paused_until, team_id, agency), next_plan_at)
        for pid, role, tz, day, at, channel, status, paused_until, team_id, agency, next_plan_at in session.connection().execute(
            query
        )
    ]


def find_person(session: Session, *, email: str) -> Person | None:
    return session.exec(select(Person).where(Person.email == email.strip().lower())).first()
