"""When a reminder or a follow-up is due (issue 13). Pure: facts and the clock in, planned deliveries out.

A reminder: one per unanswered nudge (never a second for the same lesson), a number of working days after
the nudge went, in the person's working hours and time zone, in the channel the nudge used.
A follow-up ("did you try it?"): some weeks after a reply that made a commitment, at the person's weekly
slot, in a week that has no other nudge for them (the follow-up takes that week's place)."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from schedules.planner import PlannedDelivery, Recipient
from schedules.slots import WorkingHours, local_moment, send_time, weekly_slot

COMMITMENTS = ("changed", "not_yet")  # answers that say they changed, or will change, something


def reminder_period(parent_id: int) -> str:
    """The outbox key: one reminder per nudge, whoever writes it first."""
    return f"r{parent_id}"


def followup_period(parent_id: int) -> str:
    return f"f{parent_id}"


def add_working_days(start: datetime, days: int, tz_name: str, hours: WorkingHours) -> datetime:
    """`days` working days after `start` (aware), at the same local time, moved into working hours."""
    zone = ZoneInfo(tz_name)
    local = start.astimezone(zone)
    day: date = local.date()
    added = 0
    while added < days:
        day += timedelta(days=1)
        if day.weekday() in hours.days:
            added += 1
    moment = local_moment(day, local.time().replace(tzinfo=None), zone)
    return hours.next_start(moment).astimezone(timezone.utc)


# Every whole-hour UTC offset in use (UTC-12 to UTC+14) as a fixed zone ("Etc/GMT-5" is UTC+5).
_OFFSET_ZONES = tuple("Etc/GMT" if h == 0 else f"Etc/GMT{-h:+d}" for h in range(-12, 15))


def latest_remindable(due_by: datetime, days: int, hours: WorkingHours) -> datetime:
    """No nudge sent after this can have its reminder due by `due_by`, in any time zone: the tick need not read
    it yet (a bound in calendar days read Thursday's and Friday's nudges every minute of the weekend).
    add_working_days never decreases as the sending time grows, so each UTC offset's latest sending time is
    found by bisection; asking two hours past `due_by` covers half-hour zones and a clock change. A bound too
    early would only delay a reminder to a later tick, never drop it."""
    target = due_by + timedelta(hours=2)
    earliest = due_by - timedelta(days=2 * days + 14)  # its reminder is due long before `target` in every zone
    latest = earliest
    for zone in _OFFSET_ZONES:
        low, high = earliest, target  # add_working_days(low) <= target < add_working_days(high)
        if add_working_days(low, days, zone, hours) > target:
            continue
        while high - low > timedelta(minutes=1):
            middle = low + (high - low) / 2
            if add_working_days(middle, days, zone, hours) <= target:
                low = middle
            else:
                high = middle
        latest = max(latest, low)
    return latest


@dataclass(frozen=True)
class SentNudge:
    """A sent nudge that may need a reminder, with what the planner must know about it."""

    delivery_id: int
    person: Recipient
    sent_at: datetime
    lesson_id: str
    lesson_version: str
    channel: str  # the channel it actually went by (after any fallback)
    answered: bool = False
    reminders_on: bool = True  # the person's own switch
    lesson_reminded: bool = False  # a reminder for this lesson already exists (an earlier send of it)


def next_slot_after(person: Recipient, moment: datetime) -> datetime:
    """The person's first weekly slot after `moment`: when their next lesson is due."""
    slot = weekly_slot(person.timezone, person.nudge_day, person.nudge_time, moment)
    return (
        slot.at
        if slot.at > moment
        else weekly_slot(person.timezone, person.nudge_day, person.nudge_time, moment + timedelta(days=7)).at
    )


def plan_reminders(
    nudges: list[SentNudge],
    now: datetime,
    *,
    delay_days: int = 3,
    hours: WorkingHours = WorkingHours(),
    horizon: timedelta = timedelta(0),
) -> list[PlannedDelivery]:
    """A reminder that could only go out once the next lesson is due is dropped: two messages the same day
    is nagging, and the new lesson is the better prompt."""
    planned = []
    for nudge in nudges:
        person = nudge.person
        if nudge.answered or not nudge.reminders_on or nudge.lesson_reminded or person.status != "active":
            continue
        due = add_working_days(nudge.sent_at, delay_days, person.timezone, hours)
        if due > now + horizon:
            continue
        send_at = max(due, send_time(due, now, person.timezone, hours))
        if send_at >= next_slot_after(person, nudge.sent_at):
            continue
        planned.append(
            PlannedDelivery.for_person(
                person,
                reminder_period(nudge.delivery_id),
                nudge.lesson_id,
                nudge.lesson_version,
                send_at,
                nudge.channel,
                kind="reminder",
                parent_id=nudge.delivery_id,
            )
        )
    return planned


@dataclass(frozen=True)
class Commitment:
    """A reply that made a commitment: the nudge it answered and when."""

    delivery_id: int
    person: Recipient
    replied_at: datetime
    lesson_id: str
    lesson_version: str
    channel: str
    practice: str | None
    busy_weeks: frozenset[str] = frozenset()  # the person's local weeks that already hold a nudge or follow-up


def followup_slot(commitment: Commitment, weeks: int) -> tuple[str, datetime]:
    """The first weekly slot at least `weeks` after the reply, in a week with nothing else for them."""
    person = commitment.person
    at = commitment.replied_at + timedelta(weeks=weeks)
    for _ in range(52):
        slot = weekly_slot(person.timezone, person.nudge_day, person.nudge_time, at)
        if slot.at >= commitment.replied_at + timedelta(weeks=weeks) and slot.period not in commitment.busy_weeks:
            return slot.period, slot.at
        at += timedelta(days=7)
    raise ValueError(f"no free week within a year for delivery {commitment.delivery_id}")


def plan_followups(
    commitments: list[Commitment],
    now: datetime,
    *,
    weeks: int = 4,
    hours: WorkingHours = WorkingHours(),
    horizon: timedelta = timedelta(0),
) -> list[PlannedDelivery]:
    planned = []
    for commitment in commitments:
        person = commitment.person
        if commitment.practice not in COMMITMENTS or not person.is_reachable(now.date()):
            continue
        week, slot_at = followup_slot(commitment, weeks)
        if slot_at > now + horizon:
            continue
        planned.append(
            PlannedDelivery.for_person(
                person,
                followup_period(commitment.delivery_id),
                commitment.lesson_id,
                commitment.lesson_version,
                send_time(slot_at, now, person.timezone, hours),
                commitment.channel,
                kind="followup",
                parent_id=commitment.delivery_id,
            )
        )
    return planned


def week_of(moment: datetime, tz_name: str) -> str:
    """The person's local ISO week of a moment."""
    local = moment.astimezone(ZoneInfo(tz_name)).date()
    year, week, _ = local.isocalendar()
    return f"{year}-W{week:02d}"


__all__ = [
    "COMMITMENTS",
    "Commitment",
    "SentNudge",
    "add_working_days",
    "latest_remindable",
    "followup_period",
    "followup_slot",
    "plan_followups",
    "plan_reminders",
    "reminder_period",
    "week_of",
]
