"""The planner and slots are pure: no clock, database or network here."""

from dataclasses import replace
from datetime import date, datetime, time, timezone

from lesson_bank.model import KnowledgeCheck, Lesson
from schedules.planner import CardState, History, Recipient, plan
from schedules.slots import WorkingHours, local_moment, weekly_slot
from zoneinfo import ZoneInfo
from tests.conftest import utc


def lesson(lesson_id: str, theme: str, roles=("social-worker",), **extra) -> Lesson:
    check = KnowledgeCheck("q", ("a", "b", "c", "d"), 1, ("right", "no", "no", "no"))
    return Lesson(
        id=lesson_id,
        title=lesson_id,
        themes=(theme,),
        roles=roles,
        reflect="r",
        check=check,
        try_this_week="t",
        sources=(),
        body="b",
        version="v1",
        **extra,
    )


PERSON = Recipient(id=1, role="social-worker", timezone="Europe/London", nudge_day=1, nudge_time=time(10, 0))
LESSONS = [
    lesson("a1", "neglect"),
    lesson("a2", "neglect"),
    lesson("b1", "seen-child"),
    lesson("c1", "supervision", roles=("teacher",)),
]


def test_slot_follows_daylight_saving():
    # Tuesday 10:00 in London is 10:00 UTC in winter and 09:00 UTC in summer.
    assert weekly_slot("Europe/London", 1, time(10), utc(2026, 11, 23, 12)).at == utc(2026, 11, 24, 10)
    assert weekly_slot("Europe/London", 1, time(10), utc(2026, 6, 1, 12)).at == utc(2026, 6, 2, 9)
    # The week that holds the spring change: Sunday 29 March 2026, 01:00 -> 02:00.
    assert weekly_slot("Europe/London", 6, time(1, 30), utc(2026, 3, 23)).at == utc(2026, 3, 29, 1, 30)
    assert weekly_slot("America/New_York", 0, time(9), utc(2026, 11, 23, 20)).at == utc(2026, 11, 23, 14)


def test_skipped_local_time_moves_past_the_gap():
    moment = local_moment(date(2026, 3, 29), time(1, 30), ZoneInfo("Europe/London"))
    assert moment.astimezone(timezone.utc) == utc(2026, 3, 29, 1, 30)


def test_period_is_the_local_week():
    # Sunday 23:30 UTC is already Monday in Auckland: that person's week has moved on.
    slot = weekly_slot("Pacific/Auckland", 0, time(9), utc(2026, 11, 22, 23, 30))
    assert slot.period == "2026-W48"


def test_nothing_before_the_slot_then_exactly_one_nudge():
    assert plan([PERSON], LESSONS, {}, utc(2026, 11, 24, 9, 59)) == []
    planned = plan([PERSON], LESSONS, {}, utc(2026, 11, 24, 10, 0))
    assert len(planned) == 1 and planned[0].period == "2026-W48" and planned[0].due_at == utc(2026, 11, 24, 10)
    assert planned[0].lesson_id in {"a1", "a2", "b1"}  # never the teacher-only lesson
    history = History(periods=frozenset({"2026-W48"}))
    assert plan([PERSON], LESSONS, {1: history}, utc(2026, 11, 24, 12)) == []


def test_new_lesson_comes_from_the_theme_seen_least():
    history = History(delivered={"a1": utc(2026, 11, 10)})
    planned = plan([PERSON], LESSONS, {1: history}, utc(2026, 11, 24, 10))
    assert planned[0].lesson_id == "b1" and not planned[0].is_review


def test_a_due_review_comes_first():
    reviewed = utc(2026, 11, 11)
    history = History(
        delivered={"a1": utc(2026, 11, 10)}, cards={"a1": CardState(due_at=utc(2026, 11, 20), last_review_at=reviewed)}
    )
    planned = plan([PERSON], LESSONS, {1: history}, utc(2026, 11, 24, 10))
    assert (planned[0].lesson_id, planned[0].is_review) == ("a1", True)


def test_unanswered_review_is_not_resent_and_retired_never_is():
    history = History(
        delivered={"a1": utc(2026, 11, 17)}, cards={"a1": CardState(due_at=utc(2026, 11, 20), last_review_at=utc(2026, 11, 11))}
    )
    assert plan([PERSON], LESSONS, {1: history}, utc(2026, 11, 24, 10))[0].lesson_id != "a1"
    retired = History(cards={"a1": CardState(utc(2026, 11, 1), utc(2026, 10, 1), retired=True)})
    assert plan([PERSON], LESSONS, {1: retired}, utc(2026, 11, 24, 10))[0].lesson_id != "a1"


def test_missed_slot_waits_for_working_hours():
    planned = plan([PERSON], LESSONS, {}, utc(2026, 11, 24, 21))  # 21:00 on the Tuesday
    assert planned[0].due_at == utc(2026, 11, 25, 8)
    friday_night = plan([replace(PERSON, nudge_day=4)], LESSONS, {}, utc(2026, 11, 27, 19))
    assert friday_night[0].due_at == utc(2026, 11, 30, 8)  # Monday morning


def test_paused_unsubscribed_and_unpublished():
    paused = replace(PERSON, status="paused", paused_until=date(2026, 12, 31))
    assert plan([paused], LESSONS, {}, utc(2026, 11, 24, 10)) == []
    assert plan([replace(paused, paused_until=date(2026, 11, 1))], LESSONS, {}, utc(2026, 11, 24, 10))
    assert plan([replace(PERSON, status="unsubscribed")], LESSONS, {}, utc(2026, 11, 24, 10)) == []
    embargoed = [lesson("z", "neglect", publish_after=date(2027, 1, 1))]
    assert plan([PERSON], embargoed, {}, utc(2026, 11, 24, 10)) == []


def test_immediate_sends_now_and_planning_is_deterministic():
    now = utc(2026, 11, 23, 15)
    first = plan([PERSON], LESSONS, {}, now, immediate=True)
    assert first == plan([PERSON], LESSONS, {}, now, immediate=True)
    assert first[0].due_at == now


def test_working_hours_parse():
    hours = WorkingHours.parse("09:00-17:30")
    assert hours.contains(datetime(2026, 11, 24, 17, 0)) and not hours.contains(datetime(2026, 11, 24, 17, 30))
    assert hours.next_start(datetime(2026, 11, 28, 12, 0)) == datetime(2026, 11, 30, 9, 0)
