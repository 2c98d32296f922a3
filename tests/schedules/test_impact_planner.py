"""The impact planner (pure): 3/6/12 months after an answer, sampled, one a month, never in a busy week."""

from datetime import time, timedelta

from schedules.impact_planner import Answered, ImpactPerson, add_months, plan_impact
from tests.conftest import utc

SECRET = b"k"
NOW = utc(2027, 3, 2, 9)  # Tuesday 2 March 2027, before a 10:00 slot


def person(**kw) -> ImpactPerson:
    base = dict(
        id=1,
        timezone="Europe/London",
        nudge_day=1,
        nudge_time=time(10, 0),
        answered=(Answered("a", "v1", utc(2026, 12, 1, 10), "changed"),),
    )
    return ImpactPerson(**(base | kw))


def test_three_months_after_an_answer_a_question_is_due_at_the_weekly_slot():
    (due,) = plan_impact([person()], NOW, sample_rate=1.0, secret=SECRET, horizon=timedelta(hours=2))
    assert (due.lesson_id, due.interval, due.period, due.week) == ("a", 3, "i2027-03", "2027-W09")
    assert due.due_at == utc(2027, 3, 2, 10)


def test_not_before_three_months_not_twice_not_for_not_relevant_and_off_when_no_intervals():
    assert plan_impact([person()], utc(2027, 2, 23, 9), sample_rate=1.0, secret=SECRET, horizon=timedelta(hours=2)) == []
    assert (
        plan_impact([person(asked=frozenset({("a", 3)}))], NOW, sample_rate=1.0, secret=SECRET, horizon=timedelta(hours=2)) == []
    )
    irrelevant = person(answered=(Answered("a", "v1", utc(2026, 12, 1, 10), "not_relevant"),))
    assert plan_impact([irrelevant], NOW, sample_rate=1.0, secret=SECRET, horizon=timedelta(hours=2)) == []
    assert plan_impact([person()], NOW, intervals=(), sample_rate=1.0, secret=SECRET, horizon=timedelta(hours=2)) == []


def test_one_a_month_and_never_in_a_week_with_another_nudge():
    assert (
        plan_impact(
            [person(months_asked=frozenset({"2027-03"}))], NOW, sample_rate=1.0, secret=SECRET, horizon=timedelta(hours=2)
        )
        == []
    )
    busy = person(busy_weeks=frozenset({"2027-W09"}))
    assert plan_impact([busy], NOW, sample_rate=1.0, secret=SECRET, horizon=timedelta(hours=2)) == []
    (later,) = plan_impact([busy], NOW, sample_rate=1.0, secret=SECRET, horizon=timedelta(days=8))
    assert later.week == "2027-W10"


def test_the_sample_is_a_stable_share():
    people = [person(id=n) for n in range(400)]
    first = plan_impact(people, NOW, sample_rate=0.25, secret=SECRET, horizon=timedelta(hours=2))
    assert 60 < len(first) < 140 and first == plan_impact(
        people, NOW, sample_rate=0.25, secret=SECRET, horizon=timedelta(hours=2)
    )


def test_add_months_keeps_month_ends_valid():
    assert add_months(utc(2027, 1, 31), 1) == utc(2027, 2, 28) and add_months(utc(2026, 12, 1), 12) == utc(2027, 12, 1)
