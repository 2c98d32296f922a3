"""Each person's next planning time (person.next_plan_at, issue 16), written a page of people at a time."""

from datetime import datetime

from sqlalchemy import bindparam, text, update
from sqlmodel import Session, SQLModel

import schedules.models  # noqa: F401  the tables, in SQLModel.metadata
from schedules.timeutil import as_utc

# PostgreSQL: one statement a page, the ids and times as two array parameters (an executemany of 2,000 updates
# cost more in the driver than in the server). SQLite: one executemany of a plain statement, in-process.
_PG_SET_NEXT = text(
    "UPDATE person SET next_plan_at = v.at FROM unnest(CAST(:ids AS integer[]), CAST(:ats AS timestamp[])) AS v(id, at)"
    " WHERE person.id = v.id"
)
_PERSON = SQLModel.metadata.tables["person"]
_SET_NEXT = update(_PERSON).where(_PERSON.c.id == bindparam("person_id")).values(next_plan_at=bindparam("at"))


def set_next_plan_at(session: Session, moments: dict[int, datetime]) -> None:
    """Record when planning next needs each of these people, by primary key."""
    if not moments:
        return
    if session.get_bind().dialect.name == "postgresql":
        ats = [as_utc(at).replace(tzinfo=None) for at in moments.values()]
        session.execute(_PG_SET_NEXT, {"ids": list(moments), "ats": ats})
    else:
        session.connection().execute(_SET_NEXT, [{"person_id": i, "at": at} for i, at in moments.items()])
