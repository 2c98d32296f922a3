"""Fixed reporting periods. Every date window a viewer asks for is widened to whole calendar months, and
a month is the ISO weeks whose Thursday falls in it (the ISO rule for which year a week belongs to), so a
window is always a run of whole weeks the rollup holds. Fixed periods leave far fewer distinct windows to
subtract from one another, and none of them shorter than a month."""

from datetime import date, timedelta

from schedules.slots import week_key


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _month_of(day: date) -> tuple[int, int]:
    thursday = _monday(day) + timedelta(days=3)
    return thursday.year, thursday.month


def month_span(year: int, month: int) -> tuple[date, date]:
    """The Monday of the month's first ISO week and the Sunday of its last."""
    first = date(year, month, 1)
    start = _monday(first) if first.weekday() <= 3 else _monday(first) + timedelta(weeks=1)
    following = date(year + month // 12, month % 12 + 1, 1)
    end = _monday(following) - timedelta(days=1) if following.weekday() <= 3 else _monday(following) + timedelta(days=6)
    return start, end


def align(start: date | None, end: date | None) -> tuple[date | None, date | None]:
    """Widen a window to whole months (an open end stays open)."""
    return (month_span(*_month_of(start))[0] if start else None, month_span(*_month_of(end))[1] if end else None)


def previous_month(today: date) -> tuple[date, date]:
    """The last complete month before the one `today` falls in: the fixed period of reflection excerpts."""
    year, month = _month_of(today)
    return month_span(year - (month == 1), 12 if month == 1 else month - 1)


def month_label(start: date) -> str:
    """'November 2026' for the Monday that starts a month's first ISO week."""
    return (start + timedelta(days=3)).strftime("%B %Y")


def quarter_of(period: str) -> str:
    """The calendar quarter of an ISO week key such as 2026-W48, by its Thursday: '2026-Q4'."""
    year, week = period.split("-W")
    thursday = date.fromisocalendar(int(year), int(week), 4)
    return f"{thursday.year}-Q{(thursday.month - 1) // 3 + 1}"


def month_of_week(period: str) -> str:
    """The calendar month of an ISO week key such as 2026-W48, by its Thursday (as `align` counts): '2026-11'."""
    year, week = period.split("-W")
    thursday = date.fromisocalendar(int(year), int(week), 4)
    return f"{thursday:%Y-%m}"


def weeks_between(start: date, end: date) -> list[str]:
    return sorted({week_key(start + timedelta(days=d)) for d in range(0, (end - start).days + 1, 7)})
