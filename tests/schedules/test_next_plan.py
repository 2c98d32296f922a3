"""The tick reads only people whose next planning time has come, and nobody is skipped because of it."""

from datetime import date, time, timedelta

from sqlmodel import Session, select

from bot.jobs.planning import run_planning
from schedules.models import PLAN_NOW, Delivery, Person
from schedules.planner import CardState, History, Recipient, next_plan_at
from schedules.slack_people import set_nudge_slot
from tests.conftest import utc
from tests.helpers import add_people

MONDAY = utc(2026, 11, 23, 9)  # Europe/London is UTC in November
ANN = Recipient(id=1, role="gp", timezone="Europe/London", nudge_day=1, nudge_time=time(10, 0))  # Tuesdays 10:00


def test_next_plan_at_is_the_slot_ahead_then_next_weeks():
    assert next_plan_at(ANN, History(), MONDAY, planned_now=False) == utc(2026, 11, 24, 10)
    assert next_plan_at(ANN, History(), utc(2026, 11, 24, 10), planned_now=True) == utc(2026, 12, 1, 10)
    planned = History(periods=frozenset({"2026-W48"}))
    assert next_plan_at(ANN, planned, utc(2026, 11, 25, 9), planned_now=False) == utc(2026, 12, 1, 10)


def test_next_plan_at_comes_earlier_for_a_pause_ending_or_a_card_falling_due():
    paused = Recipient(**{**ANN.__dict__, "status": "paused", "paused_until": date(2026, 11, 26)})
    assert next_plan_at(paused, History(), utc(2026, 11, 24, 10), planned_now=False) == utc(2026, 11, 26)
    card = CardState(due_at=utc(2026, 11, 27, 8), last_review_at=utc(2026, 11, 10))
    nothing_this_week = History(cards={"lesson": card})
    assert next_plan_at(ANN, nothing_this_week, utc(2026, 11, 24, 10), planned_now=False) == utc(2026, 11, 27, 8)


def _next(service) -> dict[str, object]:
    with Session(service.engine) as session:
        return {p.email: p.next_plan_at for p in session.exec(select(Person))}


def test_idle_ticks_read_nobody_and_a_changed_slot_is_planned(service):
    add_people(
        service.engine,
        [
            "ann@example.org,Ann,social-worker,T,A,Europe/London,Tuesday,10:00",
            "bob@example.org,Bob,social-worker,T,A,Europe/London,Thursday,10:00",
        ],
    )
    assert set(_next(service).values()) == {PLAN_NOW}
    run_planning(service, MONDAY)  # nobody due yet: each gets their slot
    assert _next(service) == {"ann@example.org": utc(2026, 11, 24, 10), "bob@example.org": utc(2026, 11, 26, 10)}

    run_planning(service, MONDAY + timedelta(minutes=1))
    with Session(service.engine) as session:
        assert list(session.exec(select(Delivery))) == []

    tuesday = utc(2026, 11, 24, 10)
    assert [p.person_id for p in run_planning(service, tuesday).planned] == [1]  # Ann only
    assert _next(service)["ann@example.org"] == utc(2026, 12, 1, 10)

    with Session(service.engine) as session:  # Bob moves his slot to today, after it was recorded
        bob = session.exec(select(Person).where(Person.email == "bob@example.org")).one()
        set_nudge_slot(session, person=bob, day=1, at="10:30")
        session.commit()
    assert _next(service)["bob@example.org"] == PLAN_NOW
    assert [p.person_id for p in run_planning(service, utc(2026, 11, 24, 10, 30)).planned] == [2]
