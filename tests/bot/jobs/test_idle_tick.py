"""The minute tick costs what is due, not who exists (issue 16): an idle tick reads nobody who is not due, a
person whose slot changes is read and planned at the new time, and on SQLite (which plans without
statistics) no statement of an idle tick walks the person or delivery table."""

import asyncio
import re
from datetime import timedelta

import pytest
from sqlalchemy import event
from sqlmodel import Session, select

import schedules.people
from bot.jobs.planning import run_planning
from bot.jobs.scheduler import tick
from schedules.models import Delivery, Person
from schedules.slack_people import set_nudge_slot
from tests.conftest import utc
from tests.helpers import add_people
from tests.seed_history import seed_history

MONDAY = utc(2026, 11, 23, 9)  # Europe/London is UTC in November


def _tick_at(service, monkeypatch, moment) -> None:
    monkeypatch.setattr("bot.jobs.scheduler.utcnow", lambda: moment)
    asyncio.run(tick(service))


@pytest.fixture
def read(monkeypatch):
    """Who the tick reads: each planning recipient built from a row, and each Person loaded as an object."""
    seen = {"recipients": [], "people": 0}
    built = schedules.people.Recipient

    def counted(*args, **kwargs):
        recipient = built(*args, **kwargs)
        seen["recipients"].append(recipient.id)
        return recipient

    monkeypatch.setattr(schedules.people, "Recipient", counted)

    def loaded(_target, _context) -> None:
        seen["people"] += 1

    event.listen(Person, "load", loaded)
    yield seen
    event.remove(Person, "load", loaded)


def test_an_idle_tick_reads_nobody_and_a_moved_slot_is_read_and_planned_then(service, monkeypatch, read):
    rows = [f"p{i}@example.org,P{i},social-worker,T,A,Europe/London,Tuesday,10:00" for i in range(30)]
    add_people(service.engine, [*rows, "bob@example.org,Bob,social-worker,T,A,Europe/London,Thursday,10:00"])
    run_planning(service, MONDAY)  # nobody due yet: each gets their next slot
    read["recipients"].clear()

    _tick_at(service, monkeypatch, MONDAY + timedelta(minutes=1))
    assert read == {"recipients": [], "people": 0}

    with Session(service.engine) as session:  # Bob moves his slot to this morning, 09:30
        bob = session.exec(select(Person).where(Person.email == "bob@example.org")).one()
        set_nudge_slot(session, person=bob, day=0, at="09:30")
        session.commit()
        bob_id = bob.id
    read["people"] = 0

    _tick_at(service, monkeypatch, MONDAY + timedelta(minutes=2))  # his slot is ahead: read, nothing planned
    assert read == {"recipients": [bob_id], "people": 0}
    _tick_at(service, monkeypatch, MONDAY + timedelta(minutes=3))  # and not read again until it comes
    assert read == {"recipients": [bob_id], "people": 0}

    _tick_at(service, monkeypatch, MONDAY + timedelta(minutes=30))
    assert read["recipients"] == [bob_id, bob_id]
    with Session(service.engine) as session:
        planned = session.exec(select(Delivery)).all()
    assert [(d.person_id, d.due_at) for d in planned] == [(bob_id, MONDAY + timedelta(minutes=30))]


# A plan line that walks a whole table: a full scan of person or delivery (the leads' partial index holds only
# the leads), or a search of delivery by kind and status alone (every nudge, or every sent nudge, ever).
WALK = re.compile(
    r"^SCAN (person|delivery)\b(?! USING (COVERING )?INDEX ix_person_lead)|ix_delivery_stats \(kind=\?( AND status=\?)?\)"
)


def test_no_statement_of_an_idle_tick_walks_people_or_deliveries_on_sqlite(service, monkeypatch):
    if service.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL plans from statistics that a test database's few rows do not have")
    seed_history(service.engine, list(service.lessons.values()), teams=2, per_team=12, weeks=6)
    statements: list[tuple[str, object]] = []

    def capture(_conn, _cursor, statement, parameters, _context, executemany) -> None:
        if not executemany and statement.lstrip().upper().startswith("SELECT"):
            statements.append((statement, parameters))

    _tick_at(service, monkeypatch, utc(2026, 11, 23, 7))  # a settling tick; then the idle one, captured
    event.listen(service.engine, "before_cursor_execute", capture)
    try:
        _tick_at(service, monkeypatch, utc(2026, 11, 23, 7, 1))
    finally:
        event.remove(service.engine, "before_cursor_execute", capture)
    assert len(statements) > 5  # planning, reminders, follow-ups, impact, rollup, weekly digests
    walks = []
    with service.engine.connect() as connection:
        cursor = connection.connection.cursor()
        for statement, parameters in statements:
            for row in cursor.execute("EXPLAIN QUERY PLAN " + statement, parameters).fetchall():
                if WALK.search(row[-1]):
                    walks.append((row[-1], " ".join(statement.split())[:160]))
    assert walks == []
