"""What a person chooses when they share their learning record with their supervisor (issue 17 part 5):
which stretch of their record, and for how long the link works. Pure: the form's values and today in, the
dates out, or a ShareChoiceError naming the field to fix."""

from dataclasses import dataclass
from datetime import date, timedelta

# The record content shared, counted back from today (a lesson's date is the day it was sent).
PERIODS = {"2w": ("the last 2 weeks", 14), "1m": ("the last month", 31), "3m": ("the last 3 months", 92)}
CUSTOM = "custom"
# How long the link works. Short by default: a supervision session is usually within a fortnight.
EXPIRIES = {7: "1 week", 14: "2 weeks", 30: "1 month", 90: "3 months"}
DEFAULT_EXPIRY_DAYS = 14
EARLIEST = date(2000, 1, 1)  # a typo such as 0202 for the year is a mistake, not a request for everything


class ShareChoiceError(ValueError):
    """A choice that cannot be used; the message names the field."""


@dataclass(frozen=True)
class ShareChoice:
    start: date
    end: date
    expiry_days: int


def _day(value: str, field: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise ShareChoiceError(f"The '{field}' date must be a date written YYYY-MM-DD.") from None


def share_choice(period: str, start: str, end: str, expiry: str, today: date) -> ShareChoice:
    """`period` is a PERIODS key or CUSTOM (then `start` and `end` name the days, both included)."""
    if not expiry.isascii() or not expiry.isdigit() or int(expiry) not in EXPIRIES:
        raise ShareChoiceError(f"The 'link works for' choice must be one of: {', '.join(EXPIRIES.values())}.")
    if period in PERIODS:
        days = PERIODS[period][1]
        return ShareChoice(today - timedelta(days=days), today, int(expiry))
    if period != CUSTOM:
        raise ShareChoiceError("The 'what to share' choice must be one of the options shown.")
    first, last = _day(start, "from"), _day(end, "to")
    if first < EARLIEST:
        raise ShareChoiceError(f"The 'from' date is before {EARLIEST.year}.")
    if last > today:
        raise ShareChoiceError("The 'to' date is in the future: choose today or an earlier day.")
    if first > last:
        raise ShareChoiceError("The 'from' date is after the 'to' date.")
    return ShareChoice(first, last, int(expiry))


def describe(start: date, end: date) -> str:
    return f"{start:%-d %B %Y} to {end:%-d %B %Y}"
