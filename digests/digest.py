"""The weekly digest for safeguarding leads: headline figures, the trend chart, the themes with the least
practice change, the lessons most often marked "not relevant", and what got in the way. Built only from
suppressed tables, so it can never show more than the dashboard."""

from dataclasses import dataclass

from digests.barriers import BarrierTheme
from digests.nudge import EmailParts
from digests.render import render
from digests.statistics import StatsRow, StatsTable, as_dict, fatigue
from schedules.slots import week_of


@dataclass(frozen=True)
class Digest:
    scope: str
    week: str
    total: dict
    fatigue: float | None
    least_change: tuple[StatsRow, ...]
    not_relevant: tuple[StatsRow, ...]
    barriers: tuple[BarrierTheme, ...]
    min_cell: int
    trend: tuple[StatsRow, ...] = ()  # one row a week, for the chart drawn in HTML (an image-only chart reads as spam)


def least_change(themes: StatsTable, limit: int = 3) -> tuple[StatsRow, ...]:
    shown = [r for r in themes.rows if r.rates["changed_share"] is not None]
    return tuple(sorted(shown, key=lambda r: (r.rates["changed_share"], r.key))[:limit])


def most_not_relevant(lessons: StatsTable, limit: int = 3) -> tuple[StatsRow, ...]:
    shown = [r for r in lessons.rows if r.counts["not_relevant"]]
    return tuple(sorted(shown, key=lambda r: (-(r.counts["not_relevant"] or 0), r.key))[:limit])  # shown: never None


def build_digest(
    *, scope: str, week: str, weeks: StatsTable, themes: StatsTable, lessons: StatsTable, barriers: list[BarrierTheme]
) -> Digest:
    return Digest(
        scope,
        week,
        as_dict(weeks)["total"],
        fatigue(weeks),
        least_change(themes),
        most_not_relevant(lessons),
        tuple(barriers[:5]),
        weeks.min_cell,
        weeks.rows[-12:],
    )


def _week_label(key: str) -> str:
    """ "2026-W48" as "w/c 23 Nov"; any other label as it is."""
    try:
        return week_of(key).replace("week of ", "w/c ")
    except ValueError:
        return key


def all_hidden(digest: Digest) -> bool:
    """True when no rate can be shown: the email then says why in words instead of a page of "hidden"."""
    rates = ("reply_rate", "check_accuracy", "changed_share", "already_share", "not_yet_share")
    return all(digest.total.get(key) in ("suppressed", None) for key in rates)


def digest_email(
    digest: Digest, *, dashboard_url: str, organisation: str = "Your organisation", recipient_name: str = ""
) -> EmailParts:
    """The chart is an HTML table of bars with the figures written beside them: it reads on a phone, in a
    screen reader and with images blocked, and an email whose HTML is mostly one image scores as spam."""
    context = {
        "d": digest,
        "dashboard_url": dashboard_url,
        "organisation": organisation,
        "recipient_name": recipient_name or "there",
        "week_of": _week_label,
        "week_label": week_of(digest.week),
        "all_hidden": all_hidden(digest),
    }
    return EmailParts(
        subject=f"Weekly digest for {digest.scope}, {week_of(digest.week)}",
        text=render("email/digest.txt.j2", **context),
        html=render("email/digest.html.j2", **context),
    )
