"""When a person's weekly nudge falls, in their own time zone. Pure: the clock is passed in."""

from dataclasses import dataclass
from functools import lru_cache
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@dataclass(frozen=True)
class WorkingHours:
    start: time = time(8, 0)
    end: time = time(18, 0)
    days: frozenset[int] = frozenset(range(5))  # Monday to Friday

    @classmethod
    def parse(cls, text: str) -> "WorkingHours":
        start, end = text.split("-")
        return cls(time.fromisoformat(start.strip()), time.fromisoformat(end.strip()))

    def contains(self, local: datetime) -> bool:
        return local.weekday() in self.days and self.start <= local.time() < self.end

    def next_start(self, local: datetime) -> datetime:
        """The first moment at or after `local` that lies in working hours."""
        if self.contains(local):
            return local
        day = local.date() if local.time() < self.start else local.date() + timedelta(days=1)
        while day.weekday() not in self.days:
            day += timedelta(days=1)
        return local_moment(day, self.start, local.tzinfo)


def parse_weekday(text: str) -> int:
    key = text.strip().lower()
    for index, name in enumerate(WEEKDAYS):
        if key in (name, name[:3]):
            return index
    raise ValueError(f"'{text}' is not a day of the week")


def local_moment(day: date, at: time, zone) -> datetime:
    """A wall-clock time on a day; a time skipped by a clock change moves forward past the gap."""
    naive = datetime.combine(day, at)
    moment = naive.replace(tzinfo=zone)
    round_trip = moment.astimezone(timezone.utc).astimezone(zone)
    return round_trip if round_trip.replace(tzinfo=None) != naive else moment


def week_key(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def week_of(key: str) -> str:
    """What people read for an ISO week key: "2026-W50" is "week of 7 December"."""
    year, _, week = key.partition("-W")
    monday = date.fromisocalendar(int(year), int(week), 1)
    return f"week of {monday.day} {monday:%B}"


@dataclass(frozen=True)
class Slot:
    period: str
    at: datetime  # aware UTC


# Planning asks for the same few slots (a handful of zones, days and times, one `now` a tick) for every person
# of a large roster: pure functions, so each answer is kept, a bounded number of them.
@lru_cache(maxsize=4096)
def weekly_slot(tz_name: str, weekday: int, at: time, now: datetime) -> Slot:
    """This local week's slot for a weekly nudge (it may lie before or after `now`)."""
    zone = ZoneInfo(tz_name)
    local_now = now.astimezone(zone)
    monday = local_now.date() - timedelta(days=local_now.weekday())
    day = monday + timedelta(days=weekday)
    return Slot(week_key(day), local_moment(day, at, zone).astimezone(timezone.utc))


@lru_cache(maxsize=4096)
def send_time(slot_at: datetime, now: datetime, tz_name: str, hours: WorkingHours) -> datetime:
    """When a due slot should go out: at the slot, or if it was missed, in the next working hours."""
    if slot_at >= now:
        return slot_at
    local_now = now.astimezone(ZoneInfo(tz_name))
    return hours.next_start(local_now).astimezone(timezone.utc)
