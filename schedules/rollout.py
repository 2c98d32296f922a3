"""A staged roll-out in the planner's terms (issue 13, part 5). Pure: facts and the clock in.

Holding: a team whose wave has not started gets no nudges (so no reminders or follow-ups, which only
follow sent nudges); the planner is handed each team's start date and decides from the slot's local date.

The check-in: at each step of the roll-out (its start date, every wave's start, and one step after the
last wave) everyone in a team of the roll-out, started or not, is sent one short check-in per measured
theme: that theme's first-time knowledge check, asked on its own, and whether they have changed anything
in their practice on it lately. The step-0 check-in is the baseline every team receives on joining. The
same question goes to every team at a step, so teams that have started and teams still waiting answer the
same measure at the same time (docs/evaluation.md)."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from lesson_bank.model import Lesson
from schedules.evaluation import TeamPeriod
from schedules.planner import PlannedDelivery, Recipient
from schedules.slots import WorkingHours, local_moment, send_time

CHECKIN = "checkin"
LATE = timedelta(days=7)  # a check-in that could not go out within a week of its step is left: it would measure the next period


@dataclass(frozen=True)
class Rollout:
    """One roll-out plan: each team's start date, and what every row of the plan shares."""

    starts: Mapping[int, date]  # team id -> the day its wave starts
    every_weeks: int
    themes: tuple[str, ...]

    @property
    def first_day(self) -> date:
        return min(self.starts.values())

    @property
    def waves(self) -> int:
        return len(set(self.starts.values()))

    def step_days(self) -> list[date]:
        """Step 0 is the roll-out's first day; step k follows k steps later; the last step comes one step
        after the last wave started, when every team has had it for a step."""
        return [self.first_day + timedelta(weeks=self.every_weeks * k) for k in range(self.waves + 1)]

    def near_a_step(self, now: datetime, horizon: timedelta) -> bool:
        """Could a check-in be due now? (Days of margin for time zones and a step falling at a weekend.)"""
        return any(
            day - timedelta(days=2) <= (now + horizon).date() and now.date() <= day + LATE + timedelta(days=4)
            for day in self.step_days()
        )

    def started_by(self, team_id: int, step_day: date) -> bool:
        """For the analysis: had the team's wave started strictly before this step's check-in (a wave that
        starts on the step's day answers its check-in before its first lesson)?"""
        return self.starts[team_id] < step_day


def checkin_period(step: int, theme_index: int) -> str:
    """The outbox key (person, "checkin", period): one check-in per person, step and theme, whoever writes it."""
    return f"c{step}.{theme_index}"


def checkin_lesson(lessons: list[Lesson], *, theme: str, role: str, step: int, day: date) -> Lesson | None:
    """The lesson whose first check is asked: the published lessons whose primary theme this is and that fit
    the role, in id order, a different one at each step (cycling), so nobody is asked the same question twice
    running. Every person with the same role gets the same question at a step, in every team."""
    fitting = sorted(
        (l for l in lessons if l.primary_theme == theme and role in l.roles and l.is_sendable(day)), key=lambda l: l.id
    )
    return fitting[step % len(fitting)] if fitting else None


def plan_checkins(
    people: list[Recipient],
    lessons: list[Lesson],
    rollout: Rollout,
    planned_before: Mapping[int, frozenset[str]],
    now: datetime,
    *,
    hours: WorkingHours = WorkingHours(),
    horizon: timedelta = timedelta(0),
) -> list[PlannedDelivery]:
    """Check-ins due by now + horizon: each step's, for each person in a team of the roll-out, at the start of
    working hours on the step's day in their own time zone. `planned_before`: each person's check-in periods
    already written (so a tick does not rewrite a week's worth)."""
    planned = []
    for step, day in enumerate(rollout.step_days()):
        for person in people:
            if person.team_id not in rollout.starts or not person.is_reachable(now.date()):
                continue
            zone = ZoneInfo(person.timezone)
            opens = hours.next_start(local_moment(day, time(0), zone)).astimezone(timezone.utc)
            if opens > now + horizon or now >= opens + LATE:
                continue
            due_at = send_time(opens, now, person.timezone, hours)
            for index, theme in enumerate(rollout.themes):
                period = checkin_period(step, index)
                lesson = checkin_lesson(lessons, theme=theme, role=person.role, step=step, day=day)
                if lesson is None or period in planned_before.get(person.id, frozenset()):
                    continue
                planned.append(
                    PlannedDelivery.for_person(person, period, lesson.id, lesson.version, due_at, person.channel, kind=CHECKIN)
                )
    return planned


def step_of(period: str) -> tuple[int, int]:
    """(step, theme index) from a check-in's period."""
    step, _, index = period[1:].partition(".")
    return int(step), int(index)


@dataclass(frozen=True)
class Answered:
    """One answered check-in, as the report needs it (schedules.rollout_store.checkin_answers)."""

    team_id: int
    period: str  # the check-in's outbox period: step and theme
    who: str  # tells people apart within a step
    check_correct: bool | None
    practice: str | None


def team_periods(rollout: Rollout, answers: list[Answered]) -> dict[str, list[TeamPeriod]]:
    """Team-level rows for each measure both groups give, keyed by measure: "knowledge:<theme>" (right first
    time on that theme's check) and "practice" (said they changed something lately, any theme; one answer per
    person and step: a change on any theme counts). Started or waiting by the plan (intention to treat), not
    by what was actually sent."""
    steps = rollout.step_days()
    knowledge: dict[tuple[str, int, int], list[bool]] = {}
    practice: dict[tuple[int, int], dict[str, bool]] = {}
    for a in answers:
        if a.team_id not in rollout.starts:
            continue
        step, index = step_of(a.period)
        if step >= len(steps) or index >= len(rollout.themes):
            continue
        if a.check_correct is not None:
            knowledge.setdefault((rollout.themes[index], a.team_id, step), []).append(a.check_correct)
        if a.practice is not None:
            said = practice.setdefault((a.team_id, step), {})
            said[a.who] = said.get(a.who, False) or a.practice == "changed"
    rows: dict[str, list[TeamPeriod]] = {f"knowledge:{theme}": [] for theme in rollout.themes}
    rows["practice"] = []
    for (theme, team, step), marks in sorted(knowledge.items()):
        rows[f"knowledge:{theme}"].append(
            TeamPeriod(team, f"S{step}", rollout.started_by(team, steps[step]), len(marks), sum(marks))
        )
    for (team, step), people in sorted(practice.items()):
        rows["practice"].append(
            TeamPeriod(team, f"S{step}", rollout.started_by(team, steps[step]), len(people), sum(people.values()))
        )
    return rows
