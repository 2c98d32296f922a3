"""People: read who is reachable for planning (a roster is written by schedules.roster_import)."""

from datetime import date, datetime, time

from sqlalchemy import tuple_, update
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import Select

from schedules.models import Person, PersonStatus
from schedules.planner import Recipient

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


def recipient(row) -> Recipient:
    """A Person (or a row of its planning columns) as the planner sees it."""
    hour, minute = (int(part) for part in row.nudge_time.split(":"))
    return Recipient(
        id=row.id,
        role=row.role,
        timezone=row.timezone,
        nudge_day=row.nudge_day,
        nudge_time=time(hour, minute),
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
    else:
        query = query.where(col(Person.next_plan_at) <= due_by).order_by(col(Person.next_plan_at), col(Person.id))
        if after is not None:
            query = query.where(tuple_(col(Person.next_plan_at), col(Person.id)) > tuple_(*after))
    return [(recipient(row), row.next_plan_at) for row in session.execute(query.limit(limit) if limit else query)]


def set_next_plan_at(session: Session, moments: dict[int, datetime]) -> None:
    """Record when planning next needs each of these people (one executemany, by primary key)."""
    if moments:
        session.execute(update(Person), [{"id": person_id, "next_plan_at": at} for person_id, at in moments.items()])


def find_person(session: Session, *, email: str) -> Person | None:
    return session.exec(select(Person).where(Person.email == email.strip().lower())).first()
