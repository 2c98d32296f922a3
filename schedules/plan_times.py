"""Each person's next planning time (person.next_plan_at, issue 16), written a page of people at a time."""

from datetime import datetime

from sqlalchemy import text
from sqlmodel import Session

from schedules.json_rows import Stamps, rows_source, to_json

_COLUMNS = (("id", "int"), ("at", "timestamp"))
# One statement a page on both databases, the (id, time) pairs in one JSON parameter: the ORM's executemany
# of 2,000 updates cost more in the driver than in the server.
_SET_NEXT = {
    dialect: text(f"UPDATE person SET next_plan_at = r.at FROM ({rows_source(dialect, _COLUMNS)}) AS r WHERE person.id = r.id")
    for dialect in ("postgresql", "sqlite")
}


def set_next_plan_at(session: Session, moments: dict[int, datetime]) -> None:
    """Record when planning next needs each of these people, by primary key."""
    if moments:
        stamps = Stamps()
        rows = [[person_id, stamps[at]] for person_id, at in moments.items()]
        session.execute(_SET_NEXT[session.get_bind().dialect.name], {"rows": to_json(rows)})
