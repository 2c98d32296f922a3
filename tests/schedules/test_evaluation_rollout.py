"""The staged roll-out in the planner (pure): a team is held until its wave starts and then planned as usual,
teams outside the roll-out are unaffected, every team of the roll-out gets each step's check-in, and the
report's team-level rows find a planted effect and none where none was planted."""

import random
from datetime import date, time, timedelta

from schedules.evaluation import analyse, assign_waves
from schedules.planner import Recipient, plan
from schedules.rollout import Answered, Rollout, checkin_lesson, checkin_period, plan_checkins, team_periods
from tests.conftest import utc
from tests.schedules.test_planner import lesson

LESSONS = [lesson(f"everyones-business-{n}", "everyones-business") for n in "abc"] + [lesson("neglect-a", "neglect")]
WAVE_2 = date(2027, 2, 1)  # a Monday


def person(pid: int, team: int | None) -> Recipient:
    return Recipient(pid, "social-worker", "Europe/London", 1, time(10), team_id=team)


def test_a_team_is_held_until_its_wave_starts_then_planned_as_usual():
    people = [person(1, 10), person(2, 20), person(3, None), person(4, 30)]
    starts = {10: date(2027, 1, 4), 20: WAVE_2}  # team 30 is not in the roll-out
    before = utc(2027, 1, 26, 12)  # Tuesday of the week before wave 2
    planned = {p.person_id for p in plan(people, LESSONS, {}, before, wave_starts=starts)}
    assert planned == {1, 3, 4}  # team 20 held; no team, and a team with no assignment, unaffected
    after = utc(2027, 2, 2, 12)  # Tuesday of wave 2's first week
    assert {p.person_id for p in plan(people, LESSONS, {}, after, wave_starts=starts)} == {1, 2, 3, 4}
    assert {p.person_id for p in plan(people, LESSONS, {}, before)} == {1, 2, 3, 4}  # no roll-out: nobody held


def test_every_team_in_the_roll_out_gets_each_steps_check_in_once_held_or_not():
    rollout = Rollout({10: date(2027, 1, 4), 20: WAVE_2}, 4, ("everyones-business",))
    assert rollout.step_days() == [date(2027, 1, 4), WAVE_2, date(2027, 3, 1)]
    people = [person(1, 10), person(2, 20), person(3, None)]
    monday = utc(2027, 2, 1, 9)  # step 1, working hours in London
    planned = plan_checkins(people, LESSONS, rollout, {}, monday)
    assert [(p.person_id, p.kind, p.period) for p in planned] == [(1, "checkin", "c1.0"), (2, "checkin", "c1.0")]
    assert (
        planned[0].lesson_id
        == planned[1].lesson_id
        == checkin_lesson(LESSONS, theme="everyones-business", role="social-worker", step=1, day=WAVE_2).id
    )
    assert (
        planned[0].lesson_id != checkin_lesson(LESSONS, theme="everyones-business", role="social-worker", step=0, day=WAVE_2).id
    )
    assert plan_checkins(people, LESSONS, rollout, {1: frozenset({"c1.0"}), 2: frozenset({"c1.0"})}, monday) == []
    assert plan_checkins(people, LESSONS, rollout, {}, monday - timedelta(days=2)) == []  # not yet
    assert plan_checkins(people, LESSONS, rollout, {}, monday + timedelta(days=8)) == []  # a week late: left
    # the analysis counts a wave that starts on the step's day as still waiting at that step
    assert (rollout.started_by(10, WAVE_2), rollout.started_by(20, WAVE_2)) == (True, False)


def simulated_answers(rng: random.Random, effect: float, teams: int = 16, people: int = 8) -> tuple[Rollout, list[Answered]]:
    plan_ = assign_waves([(t, f"A{t % 2}") for t in range(teams)], waves=4, start=date(2027, 1, 4), every_weeks=4, seed=5)
    rollout = Rollout({a.team_id: a.starts_on for a in plan_}, 4, ("everyones-business",))
    answers = []
    for a in plan_:
        base = rng.gauss(0.45, 0.06)
        for step, day in enumerate(rollout.step_days()):
            p = base + 0.02 * step + (effect if rollout.started_by(a.team_id, day) else 0.0)
            for i in range(people):
                right = rng.random() < p
                changed = rng.random() < p - 0.2
                answers.append(
                    Answered(a.team_id, checkin_period(step, 0), f"p{a.team_id}-{i}", right, "changed" if changed else "already")
                )
    return rollout, answers


def test_the_reports_rows_find_a_planted_effect_and_none_where_none_was_planted():
    rollout, answers = simulated_answers(random.Random(11), effect=0.25)
    rows = team_periods(rollout, answers)
    assert set(rows) == {"knowledge:everyones-business", "practice"}
    found = analyse(rows["knowledge:everyones-business"])
    assert found.low is not None and found.low > 0 and "did better" in found.verdict
    assert analyse(rows["practice"]).low > 0
    rollout, answers = simulated_answers(random.Random(12), effect=0.0)
    none = analyse(team_periods(rollout, answers)["knowledge:everyones-business"])
    assert none.low < 0 < none.high and "No clear difference" in none.verdict
