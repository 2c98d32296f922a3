"""Who gets which lesson, and when. A pure function of (people, lessons, states, now)."""

import zlib
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo

from lesson_bank.model import Lesson
from schedules.slots import WorkingHours, send_time, weekly_slot


@dataclass(frozen=True)
class Recipient:
    id: int
    role: str
    timezone: str
    nudge_day: int
    nudge_time: time
    channel: str = "email"
    status: str = "active"
    paused_until: date | None = None
    team_id: int | None = None
    agency: str = ""

    def is_reachable(self, today: date) -> bool:
        if self.status == "paused":
            return self.paused_until is not None and self.paused_until <= today
        return self.status == "active"


@dataclass(frozen=True)
class CardState:
    due_at: datetime
    last_review_at: datetime
    retired: bool = False


@dataclass(frozen=True)
class History:
    """What a person has had so far: planned weeks, last delivery per lesson, spacing cards."""

    periods: frozenset[str] = frozenset()
    delivered: dict[str, datetime] = field(default_factory=dict)
    cards: dict[str, CardState] = field(default_factory=dict)


@dataclass(frozen=True)
class PlannedDelivery:
    person_id: int
    period: str
    lesson_id: str
    lesson_version: str
    due_at: datetime
    is_review: bool
    channel: str
    role: str = ""
    team_id: int | None = None
    agency: str = ""
    kind: str = "nudge"  # nudge | reminder | followup | impact
    parent_id: int | None = None  # a reminder's, follow-up's or impact question's nudge
    months: int | None = None  # an impact question's interval (issue 17)

    @classmethod
    def for_person(
        cls,
        person: Recipient,
        period: str,
        lesson_id: str,
        lesson_version: str,
        due_at: datetime,
        channel: str,
        *,
        is_review: bool = False,
        kind: str = "nudge",
        parent_id: int | None = None,
        months: int | None = None,
    ) -> "PlannedDelivery":
        """A delivery for `person`, with the group snapshot (role, team, agency) its figures are counted by."""
        return cls(
            person.id,
            period,
            lesson_id,
            lesson_version,
            due_at,
            is_review,
            channel,
            person.role,
            person.team_id,
            person.agency,
            kind=kind,
            parent_id=parent_id,
            months=months,
        )


@dataclass(frozen=True)
class Fitting:
    """The lessons one role may get on one day, with what choosing among them needs, worked out once for
    everyone who shares that role and day instead of once a person."""

    lessons: dict[str, Lesson]
    # (position, lesson id, primary theme, tie-break number) in the lessons' order
    keyed: tuple[tuple[int, str, str, int], ...]
    # the first lesson with each tie-break number: who an unseen-everything person gets
    by_number: dict[int, Lesson]

    @classmethod
    def of(cls, lessons: dict[str, Lesson]) -> "Fitting":
        keyed = tuple((i, l.id, l.primary_theme, zlib.crc32(l.id.encode())) for i, l in enumerate(lessons.values()))
        by_number: dict[int, Lesson] = {}
        for _, lesson_id, _, number in keyed:
            by_number.setdefault(number, lessons[lesson_id])
        return cls(lessons, keyed, by_number)


def due_review(lessons: dict[str, Lesson], history: History, at: datetime) -> Lesson | None:
    """The most overdue card whose last review came after its last delivery (no unanswered resend)."""
    due = [
        (state.due_at, lesson_id)
        for lesson_id, state in history.cards.items()
        if not state.retired
        and state.due_at <= at
        and lesson_id in lessons
        and history.delivered.get(lesson_id, state.last_review_at) <= state.last_review_at
    ]
    return lessons[min(due)[1]] if due else None


def new_lesson(fitting: Fitting, history: History, person_id: int, all_lessons: dict[str, Lesson]) -> Lesson | None:
    """An unseen lesson from the theme this person has seen least; among those, the first in an order of the
    lessons that is stable across processes (unlike hash()) and different for each person (XOR of each
    lesson's number with a per-person number permutes them): integer operations, not a SHA-1 per pair."""
    salt = zlib.crc32(person_id.to_bytes(8, "little"))
    if not history.delivered and not history.cards:
        # Nothing seen (most people, most weeks of a new roll-out): every theme counts 0 and every lesson is
        # fresh, so the choice is the smallest number ^ salt; XOR with salt is one-to-one, so it names one number.
        return fitting.by_number[min(number ^ salt for number in fitting.by_number) ^ salt] if fitting.by_number else None
    seen = Counter(
        theme for lesson_id in history.delivered if lesson_id in all_lessons for theme in all_lessons[lesson_id].themes
    )
    delivered, cards = history.delivered, history.cards
    best = min(
        (
            (seen[theme], number ^ salt, i, lesson_id)
            for i, lesson_id, theme, number in fitting.keyed
            if lesson_id not in delivered and lesson_id not in cards
        ),
        default=None,
    )  # the position breaks a tie of numbers as min() over the lessons in order did
    return fitting.lessons[best[3]] if best else None


def choose_lesson(
    person: Recipient, fitting: Fitting, history: History, at: datetime, all_lessons: dict[str, Lesson]
) -> tuple[Lesson, bool] | None:
    review = due_review(fitting.lessons, history, at) if history.cards else None
    if review:
        return review, True
    fresh = new_lesson(fitting, history, person.id, all_lessons)
    return (fresh, False) if fresh else None


def plan(
    people: list[Recipient],
    lessons: list[Lesson],
    histories: dict[int, History],
    now: datetime,
    *,
    hours: WorkingHours = WorkingHours(),
    horizon: timedelta = timedelta(0),
    immediate: bool = False,
    wave_starts: Mapping[int, date] | None = None,
) -> list[PlannedDelivery]:
    """One nudge per person per local week, for slots that fall at or before now + horizon.

    `immediate` sends this week's nudge now whatever the slot (the demo, a first welcome). `wave_starts`
    (team id -> the day its wave of a staged roll-out starts): a team is held, nothing planned for its
    people, for any week whose slot falls before that day in their time zone."""
    all_lessons = {lesson.id: lesson for lesson in lessons}
    fitting_for: dict[tuple[str, date], Fitting] = {}
    planned = []
    for person in people:
        slot = weekly_slot(person.timezone, person.nudge_day, person.nudge_time, now)
        history = histories.get(person.id, History())
        if slot.period in history.periods or not person.is_reachable(now.date()):
            continue
        if not immediate and slot.at > now + horizon:
            continue
        due_at = now if immediate else send_time(slot.at, now, person.timezone, hours)
        if wave_starts and is_held(wave_starts, person.team_id, slot.at.astimezone(ZoneInfo(person.timezone)).date()):
            continue
        key = (person.role, due_at.date())
        if key not in fitting_for:  # a handful of roles and days: work out each set once, not once a person
            fitting_for[key] = Fitting.of({l.id: l for l in lessons if person.role in l.roles and l.is_sendable(due_at.date())})
        fitting = fitting_for[key]
        choice = choose_lesson(person, fitting, history, due_at, all_lessons)
        if choice:
            lesson, is_review = choice
            planned.append(
                PlannedDelivery.for_person(
                    person, slot.period, lesson.id, lesson.version, due_at, person.channel, is_review=is_review
                )
            )
    return planned


def is_held(wave_starts: Mapping[int, date], team_id: int | None, on: date) -> bool:
    """A team in a staged roll-out whose wave has not started by `on` (a local date). No team, or a team
    with no assignment, is never held."""
    return team_id is not None and team_id in wave_starts and on < wave_starts[team_id]


def next_plan_at(person: Recipient, history: History, now: datetime, *, planned_now: bool) -> datetime:
    """When planning next needs to look at this person, having looked at `now`: this week's slot if it is still
    ahead and unplanned, else the earliest of next week's slot, the day a pause ends and a card falling due
    (a review can go out in a week whose slot passed with nothing to send). Only moves forward: > now."""
    if not history.periods and not history.cards:  # most of a large roster: the same few answers for everyone
        slot = (person.timezone, person.nudge_day, person.nudge_time, person.status, person.paused_until)
        return _next_with_no_history(*slot, now, planned_now)
    return _next_plan_at(person, history, now, planned_now=planned_now)


@lru_cache(maxsize=4096)
def _next_with_no_history(
    tz: str, day: int, at: time, status: str, paused_until: date | None, now: datetime, planned_now: bool
) -> datetime:
    """next_plan_at for someone with nothing planned or reviewed yet: it depends on nothing else of theirs."""
    person = Recipient(0, "", tz, day, at, status=status, paused_until=paused_until)
    return _next_plan_at(person, History(), now, planned_now=planned_now)


def _next_plan_at(person: Recipient, history: History, now: datetime, *, planned_now: bool) -> datetime:
    slot = weekly_slot(person.timezone, person.nudge_day, person.nudge_time, now)
    if not planned_now and slot.period not in history.periods and slot.at > now:
        return slot.at
    candidates = [weekly_slot(person.timezone, person.nudge_day, person.nudge_time, now + timedelta(days=7)).at]
    if person.status == "paused" and person.paused_until is not None:
        candidates.append(datetime.combine(person.paused_until, time(0), tzinfo=timezone.utc))
    if not planned_now and slot.period not in history.periods:
        candidates += [state.due_at for state in history.cards.values() if not state.retired]
    return min(moment for moment in candidates if moment > now)  # next week's slot always is
