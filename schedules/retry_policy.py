"""When a transient failure is tried again, and when it stops (pure: the clock is passed in).

Mail servers keep trying for days (Postfix: 5 days), so a relay outage of an hour must not lose a
nudge. A failed send is tried again after 1, 2, 4 ... minutes, never more than an hour apart, for
`retry_for` (24 hours by default) counted from when it was first due; a nudge whose week ends first
expires instead (a weekly nudge arriving the next week is worse than none)."""

from dataclasses import dataclass
from functools import lru_cache
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

MAX_BACKOFF = timedelta(hours=1)


def backoff(attempts: int) -> timedelta:
    """Wait after the `attempts`-th failed attempt: doubling from one minute, capped at an hour."""
    return min(timedelta(minutes=2 ** min(max(attempts - 1, 0), 16)), MAX_BACKOFF)


# Asked for every nudge a dispatcher sends, about the same few weeks and zones: pure, so each answer is kept.
@lru_cache(maxsize=4096)
def week_end(period: str, tz_name: str) -> datetime:
    """The end of a local ISO week such as 2026-W48 (Monday 00:00 after it, in that zone), as UTC."""
    year, week = period.split("-W")
    monday = date.fromisocalendar(int(year), int(week), 1)
    return datetime.combine(monday + timedelta(days=7), time(0), ZoneInfo(tz_name)).astimezone(timezone.utc)


@dataclass(frozen=True)
class NextStep:
    outcome: str  # retry | failed | expired
    retry_at: datetime | None
    detail: str


def after_transient_failure(
    *, error: str, attempts: int, first_due: datetime, ends: datetime, now: datetime, retry_for: timedelta
) -> NextStep:
    retry_at = now + backoff(attempts)
    if retry_at >= ends:
        return NextStep("expired", None, f"its week ended before it could go out ({attempts} attempts): {error}")
    if retry_at > first_due + retry_for:
        hours = retry_for.total_seconds() / 3600
        return NextStep("failed", None, f"gave up after {attempts} attempts over {hours:g} hours: {error}")
    return NextStep("retry", retry_at, error)
