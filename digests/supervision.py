"""What a supervisor reads when a person shares their learning record (issue 17 part 5), and the one email
that brings them the link. Pure.

Only what the person chose: the lessons sent to them in the period they picked, and for each only their
commitment (their answer to "did this change your practice?"), their reflection and their follow-up. The
knowledge-check result, the rest of their record and anyone else's are never part of it."""

from dataclasses import dataclass
from datetime import date

from digests.learning_record import LearningRecord
from digests.nudge import EmailParts
from digests.render import render


@dataclass(frozen=True)
class SharedEntry:
    sent_on: date
    title: str
    theme: str
    commitment: str | None
    to_try: str
    reflection: str | None
    followed_up_on: date | None
    outcome: str | None
    barrier: str | None


@dataclass(frozen=True)
class SharedRecord:
    name: str
    start: date
    end: date
    entries: list[SharedEntry]


def shared_record(record: LearningRecord, start: date, end: date) -> SharedRecord:
    """The entries sent from `start` to `end` (both included) that hold something the person said."""
    entries = [
        SharedEntry(
            e.sent_on,
            e.title,
            e.theme,
            e.practice,
            e.try_this_week,
            e.reflection,
            e.followed_up_on,
            e.outcome,
            e.barrier,
        )
        for e in record.entries
        if start <= e.sent_on <= end and (e.practice or e.reflection or e.outcome)
    ]
    return SharedRecord(record.name, start, end, entries)


def share_email(*, name: str, link: str, period: str, expires: date, organisation: str) -> EmailParts:
    values = {"person": name, "link": link, "period": period, "expires": expires, "organisation": organisation}
    return EmailParts(
        subject=f"{name} has shared their learning record with you",
        text=render("email/supervision.txt.j2", **values),
        html=render("email/supervision.html.j2", **values),
    )
