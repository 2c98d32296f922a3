"""Planning in bounded pages (issue 16): every page planned however the people were written, deliveries written
as one JSON parameter exactly as the ORM would, a failed page write never passes silently, and the planner's
shortcuts choose exactly the lessons its rule says."""

import random
import zlib
from collections import Counter
from datetime import time, timedelta

import pytest
from sqlalchemy import text
from sqlmodel import Session, select

import bot.jobs.planning as planning
from bot.jobs.planning import run_planning
from schedules.disclosure_constants import RECORD_KEY_SPACE
from schedules.id_sets import by_index
from schedules.models import Delivery, DeliveryStatus, Person
from schedules.outbox import insert_planned
from schedules.planner import CardState, History, PlannedDelivery, Recipient, plan
from tests.bot.jobs.test_evaluation_rollout_email import STEP_0, plan_rollout, sent
from tests.conftest import utc
from tests.helpers import add_people

TUESDAY = utc(2026, 11, 24, 10)  # Europe/London is UTC in November
BULK = (
    "INSERT INTO person (email, name, role, agency, timezone, nudge_day, nudge_time, channel, access, status, created_at,"
    " reminders) VALUES (:email, 'Someone', 'social-worker', 'A', 'Europe/London', 1, '10:00', 'email', 'member',"
    " 'active', '2026-11-01 00:00:00', true)"
)


def test_people_loaded_in_bulk_are_all_planned_a_page_at_a_time(service, monkeypatch):
    """People written by a bulk load that leaves next_plan_at to the database default, all due at the same
    moment, across page boundaries inside that moment. (SQLite compares times as text: a default written in
    another form than SQLAlchemy's sorted before the page's key, and paging stopped after the first page.)"""
    monkeypatch.setattr(planning, "PAGE", 2)
    with service.engine.begin() as connection:
        for i in range(5):
            connection.execute(text(BULK), {"email": f"bulk{i}@example.org"})
    add_people(service.engine, [f"p{i}@example.org,P{i},social-worker,T,A,Europe/London,Tuesday,10:00" for i in range(2)])
    result = run_planning(service, TUESDAY)
    assert result.inserted == 7 and len({p.person_id for p in result.planned}) == 7
    assert run_planning(service, TUESDAY + timedelta(minutes=1)).inserted == 0  # and nobody twice


def test_a_failed_page_write_raises_and_loses_or_doubles_nothing(service, monkeypatch):
    monkeypatch.setattr(planning, "PAGE", 2)
    add_people(service.engine, [f"p{i}@example.org,P{i},social-worker,T,A,Europe/London,Tuesday,10:00" for i in range(6)])
    real, calls = planning.set_next_plan_at, []

    def failing_second_page(session, moments):
        calls.append(moments)
        if len(calls) == 2:
            raise RuntimeError("the database went away")
        real(session, moments)

    monkeypatch.setattr(planning, "set_next_plan_at", failing_second_page)
    with pytest.raises(RuntimeError, match="went away"):
        run_planning(service, TUESDAY)
    with Session(service.engine) as session:
        written = len(session.exec(select(Delivery)).all())
    # each page is one transaction: whole pages were kept (the failed one rolled back; on PostgreSQL a page
    # written alongside it may have committed), and their people are not planned again
    assert written in (2, 4)
    monkeypatch.setattr(planning, "set_next_plan_at", real)
    assert run_planning(service, TUESDAY).inserted == 6 - written  # the rest, on the next tick
    with Session(service.engine) as session:
        assert len(session.exec(select(Delivery)).all()) == 6


def test_deliveries_written_from_json_read_back_exactly(service):
    add_people(service.engine, [f"p{i}@example.org,P{i},social-worker,T,A,Europe/London,Tuesday,10:00" for i in range(3)])
    awkward = 'Ag"ency, \\ née \n{1,2} 😀'
    due = TUESDAY + timedelta(microseconds=123456)
    planned = [
        PlannedDelivery(1, "2026-W48", "lesson-a", "v1", due, True, "email", "gp", None, awkward),
        PlannedDelivery(2, "2026-W48", "lesson-b", "v2", TUESDAY, False, "slack", "", None, ""),
        PlannedDelivery(3, "r99", "lesson-c", "v3", TUESDAY, False, "email", kind="reminder", parent_id=7, months=None),
    ]
    with Session(service.engine) as session:
        assert insert_planned(session, planned=planned, now=TUESDAY) == 3
        session.commit()
    with Session(service.engine) as session:
        assert insert_planned(session, planned=planned, now=TUESDAY) == 0  # the same slots: nothing twice
        session.commit()
        rows = {d.person_id: d for d in session.exec(select(Delivery))}
    first = rows[1]
    assert (first.agency, first.role, first.team_id, first.is_review, first.lesson_id) == (awkward, "gp", None, True, "lesson-a")
    assert first.due_at == due and first.first_due_at == due and first.created_at == TUESDAY
    assert (first.status, first.attempts, first.kind, first.parent_id) == (DeliveryStatus.PENDING, 0, "nudge", None)
    assert (rows[2].channel, rows[2].is_review, rows[3].kind, rows[3].parent_id) == ("slack", False, "reminder", 7)
    tokens = [d.message_token or "" for d in rows.values()]
    assert len(set(tokens)) == 3 and all(len(t) == 32 and int(t, 16) >= 0 for t in tokens)
    assert all(0 <= d.record_key < RECORD_KEY_SPACE for d in rows.values())
    with Session(service.engine) as session:  # compared in SQL with times the ORM writes (SQLite compares text)
        due_now = session.exec(select(Delivery.person_id).where(Delivery.due_at <= TUESDAY)).all()
        assert sorted(due_now) == [2, 3]


def test_history_reads_use_the_index_and_put_the_setting_back(service):
    with Session(service.engine) as session:
        postgres = session.get_bind().dialect.name == "postgresql"
        with by_index(session):
            if postgres:
                assert session.execute(text("SHOW enable_seqscan")).scalar_one() == "off"
        if postgres:
            assert session.execute(text("SHOW enable_seqscan")).scalar_one() == "on"


def _reference_choice(person_id: int, fitting: list, history: History, all_lessons: dict):
    """The rule as written before the shortcuts: the least-seen theme, then the smallest crc32(id) ^ salt,
    then the lessons' order."""
    seen = Counter(t for lesson_id in history.delivered if lesson_id in all_lessons for t in all_lessons[lesson_id].themes)
    fresh = [l for l in fitting if l.id not in history.delivered and l.id not in history.cards]
    salt = zlib.crc32(person_id.to_bytes(8, "little"))
    return min(fresh, key=lambda l: (seen[l.primary_theme], zlib.crc32(l.id.encode()) ^ salt)) if fresh else None


def test_the_planners_shortcuts_choose_what_its_rule_says(service):
    lessons = [l for l in service.lessons.values() if "social-worker" in l.roles and l.is_sendable(TUESDAY.date())]
    by_id = {l.id: l for l in lessons}
    rng = random.Random(16)
    people, histories = [], {}
    for person_id in range(1, 400):
        people.append(Recipient(person_id, "social-worker", "Europe/London", 1, time(10)))
        if person_id % 2:  # half have seen some lessons (the general path), half nothing (the shortcut)
            seen = rng.sample(sorted(by_id), rng.randrange(0, len(by_id)))
            never_due = CardState(TUESDAY + timedelta(days=30), TUESDAY - timedelta(days=1))
            histories[person_id] = History(
                delivered={i: TUESDAY - timedelta(days=9) for i in seen},
                cards={i: never_due for i in seen[:2]},
            )
    planned = {p.person_id: p.lesson_id for p in plan(people, list(service.lessons.values()), histories, TUESDAY)}
    for person in people:
        expected = _reference_choice(person.id, lessons, histories.get(person.id, History()), service.lessons)
        assert planned.get(person.id) == (expected.id if expected else None), person.id


def test_a_new_person_has_no_lesson_twice_in_a_row_across_pages(service, monkeypatch):
    """Paging keeps each person's own history: a second week brings a different lesson."""
    monkeypatch.setattr(planning, "PAGE", 3)
    add_people(service.engine, [f"p{i}@example.org,P{i},social-worker,T,A,Europe/London,Tuesday,10:00" for i in range(7)])
    run_planning(service, TUESDAY)
    run_planning(service, TUESDAY + timedelta(days=7))
    with Session(service.engine) as session:
        rows = session.exec(select(Delivery.person_id, Delivery.lesson_id)).all()
        people = session.exec(select(Person.id)).all()
    by_person: dict = {}
    for person_id, lesson_id in rows:
        by_person.setdefault(person_id, []).append(lesson_id)
    assert len(rows) == 14 and all(len(set(by_person[p])) == 2 for p in people)


def test_a_roll_outs_check_ins_reach_everyone_in_its_teams_a_page_at_a_time(service, monkeypatch):
    monkeypatch.setattr(planning, "PAGE", 2)
    teams = plan_rollout(service)  # Ann (North) and Bob (South) are in the roll-out, Cy (West) is not
    add_people(
        service.engine, [f"n{i}@example.org,N{i},social-worker,North,Council,Europe/London,Tuesday,10:00" for i in range(4)]
    )
    first = run_planning(service, STEP_0)
    assert sum(p.kind == "checkin" for p in first.planned) == 6
    assert [e for e, _ in sent(service, "checkin")] == sorted(
        ["ann@example.org", "bob@example.org", *(f"n{i}@example.org" for i in range(4))]
    )
    assert not any(p.kind == "checkin" for p in run_planning(service, STEP_0).planned)  # written once
    assert set(teams) == {"North", "South", "West"}
