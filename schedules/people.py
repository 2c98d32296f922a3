"""People: read who is reachable for planning (a roster is written by schedules.roster_import)."""

from datetime import date, datetime, time
from functools import lru_cache

from sqlmodel import Session, col, select
from sqlmodel.sql.expression import Select

from schedules.models import Person, PersonStatus
from schedules.planner import Recipient

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


def due_for_planning(due_by: datetime):
    """People whose next_plan_at has come by `due_by`, found through its index (next_plan_at, id). A message
    that goes at a person's weekly slot (a nudge, a follow-up, an impact question) can only be due for them:
    next_plan_at is never later than a person's next slot."""
    return col(Person.next_plan_at) <= due_by


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
        due = query.where(due_for_planning(due_by))
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
