"""When to ask "Has <lesson title> made a difference to your practice?" (issue 17, part 4). Pure: facts and
the clock in, questions due out, so it can be tested without a clock, database or network.

For lessons a person answered (not "not relevant"), a question is due 3, 6 and 12 months after the answer
(intervals are a setting; empty switches it off), on a sample (a keyed hash of person, lesson and interval,
so the same draw every time the planner runs), at most one a calendar month per person (the outbox key
`i<YYYY-MM>` makes that a database guarantee), at the person's weekly slot in a week that holds no other
nudge for them (the question takes that week's place, as issue 13's follow-ups do).

`as_planned` turns a due question into an outbox row of kind "impact" (parent: the answered nudge), which
bot/jobs/loop_planning.py writes with issue 13's reminders and follow-ups (see docs/voice.md)."""

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from schedules.planner import PlannedDelivery, Recipient
from schedules.slots import WorkingHours, send_time, weekly_slot

DEFAULT_INTERVALS = (3, 6, 12)  # months
SCALE = (
    ("a_lot", "A lot"),
    ("a_little", "A little"),
    ("not_sure", "Not sure"),
    ("not_much", "Not much"),
    ("not_at_all", "Not at all"),
)
KIND = "impact"


@dataclass(frozen=True)
class Answered:
    lesson_id: str
    lesson_version: str
    answered_at: datetime
    practice: str | None
    delivery_id: int = 0  # the nudge that was answered: the question's parent
    channel: str = "email"  # the channel that nudge went by


@dataclass(frozen=True)
class ImpactPerson:
    id: int
    timezone: str
    nudge_day: int
    nudge_time: time
    status: str = "active"
    answered: tuple[Answered, ...] = ()
    asked: frozenset[tuple[str, int]] = frozenset()  # (lesson id, interval) already asked
    months_asked: frozenset[str] = frozenset()  # "YYYY-MM" months that already hold an impact question
    busy_weeks: frozenset[str] = frozenset()  # local ISO weeks with another nudge, reminder or follow-up


@dataclass(frozen=True)
class ImpactDue:
    person_id: int
    lesson_id: str
    lesson_version: str
    interval: int
    period: str  # the outbox key: i<YYYY-MM>
    week: str
    due_at: datetime
    parent_id: int = 0
    channel: str = "email"


def add_months(moment: datetime, months: int) -> datetime:
    month = moment.month - 1 + months
    year, month = moment.year + month // 12, month % 12 + 1
    for day in (moment.day, 30, 29, 28):  # 31 Jan + 1 month is the last day of February
        try:
            return moment.replace(year=year, month=month, day=day)
        except ValueError:
            continue
    raise ValueError(f"cannot add {months} months to {moment}")


def sampled(secret: bytes, person_id: int, lesson_id: str, interval: int, rate: float) -> bool:
    digest = hmac.new(secret, f"impact:{person_id}:{lesson_id}:{interval}".encode(), hashlib.sha256).digest()
    return int.from_bytes(digest[:4], "big") / 2**32 < rate


def _free_slot(person: ImpactPerson, now: datetime) -> tuple[str, datetime] | None:
    """This week's slot if it is still ahead and free, else the next free week's (within eight weeks)."""
    at = now
    for _ in range(8):
        slot = weekly_slot(person.timezone, person.nudge_day, person.nudge_time, at)
        if slot.at >= now and slot.period not in person.busy_weeks:
            return slot.period, slot.at
        at += timedelta(days=7)
    return None


def plan_impact(
    people: list[ImpactPerson],
    now: datetime,
    *,
    intervals: tuple[int, ...] = DEFAULT_INTERVALS,
    sample_rate: float = 0.5,
    secret: bytes,
    horizon: timedelta = timedelta(minutes=5),
) -> list[ImpactDue]:
    """At most one question per person: the longest-waiting due (lesson, interval) that was sampled."""
    due: list[ImpactDue] = []
    for person in people:
        if person.status != "active" or not intervals:
            continue
        candidates = sorted(
            (add_months(a.answered_at, m), a, m)
            for a in person.answered
            for m in intervals
            if a.practice != "not_relevant"
            and (a.lesson_id, m) not in person.asked
            and add_months(a.answered_at, m) <= now
            and sampled(secret, person.id, a.lesson_id, m, sample_rate)
        )
        if not candidates:
            continue
        slot = _free_slot(person, now)
        if slot is None or slot[1] > now + horizon:
            continue
        month = f"{slot[1]:%Y-%m}"
        if month in person.months_asked:
            continue
        _, answered, interval = candidates[0]
        due.append(
            ImpactDue(
                person.id,
                answered.lesson_id,
                answered.lesson_version,
                interval,
                f"i{month}",
                slot[0],
                slot[1],
                answered.delivery_id,
                answered.channel,
            )
        )
    return due


def as_planned(due: ImpactDue, person: Recipient, now: datetime, hours: WorkingHours = WorkingHours()) -> PlannedDelivery:
    """The outbox row for `person` (the one `due` is for): kind "impact", its parent the answered nudge, the group
    snapshot the figures read."""
    return PlannedDelivery.for_person(
        person,
        due.period,
        due.lesson_id,
        due.lesson_version,
        send_time(due.due_at, now, person.timezone, hours),
        due.channel,
        kind=KIND,
        parent_id=due.parent_id,
        months=due.interval,
    )
