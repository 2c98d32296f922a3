"""People's Slack identities (user id and DM channel, found once and kept), and the person-level
settings Slack's Home tab changes. Keyword-only functions that take a session; the caller commits."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import update
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import Select

from schedules import audit
from schedules.models import Delivery, DeliveryStatus, Person, PersonStatus, Reply


@dataclass(frozen=True)
class SlackIdentity:
    user_id: str | None
    channel_id: str | None


def load_identities(session: Session, *, person_ids: list[int]) -> dict[int, SlackIdentity]:
    rows = session.exec(select(Person.id, Person.slack_user_id, Person.slack_channel_id).where(col(Person.id).in_(person_ids)))
    return {pid: SlackIdentity(user, channel) for pid, user, channel in rows if pid is not None}  # stored people have ids


def save_identities(session: Session, *, found: dict[int, SlackIdentity]) -> None:
    for person_id, identity in found.items():
        session.execute(
            update(Person)
            .where(col(Person.id) == person_id)
            .values(slack_user_id=identity.user_id, slack_channel_id=identity.channel_id)
        )


def not_in_workspace(session: Session, *, person_ids: list[int], reason: str, now: datetime) -> None:
    """Their nudges go by email from now on, so next week costs no failed look-up; the reason is logged."""
    for person_id in person_ids:
        session.execute(
            update(Person)
            .where(col(Person.id) == person_id, col(Person.channel) == "slack")
            .values(channel="email", slack_user_id=None, slack_channel_id=None)
        )
        audit.record(session, actor="system", action="slack.unreachable", detail=f"person {person_id}: {reason}", now=now)


def person_for_slack_user(session: Session, *, user_id: str) -> Person | None:
    return session.exec(select(Person).where(Person.slack_user_id == user_id)).first()


def link_slack_user(session: Session, *, email: str, user_id: str) -> Person | None:
    """Someone used the app before their first nudge: remember who they are (found by their email)."""
    person = session.exec(select(Person).where(Person.email == email.strip().lower())).first()
    if person is not None:
        person.slack_user_id = user_id
        session.add(person)
    return person


def pause(session: Session, *, person: Person, weeks: int, today: date) -> None:
    if not 1 <= weeks <= 52:
        raise ValueError(f"weeks must be between 1 and 52, not {weeks}")
    person.status, person.paused_until = PersonStatus.PAUSED, today + timedelta(weeks=weeks)
    session.add(person)
    # a nudge already planned but not yet sent would arrive during the pause
    session.execute(
        update(Delivery)
        .where(col(Delivery.person_id) == person.id, col(Delivery.status) == DeliveryStatus.PENDING)
        .values(status=DeliveryStatus.CANCELLED, last_error="paused")
    )


def resume(session: Session, *, person: Person) -> None:
    person.status, person.paused_until = PersonStatus.ACTIVE, None
    session.add(person)


def set_nudge_slot(session: Session, *, person: Person, day: int | None = None, at: str | None = None) -> None:
    """Change the weekly day (Monday = 0) or time ("HH:MM"). A slot already planned this week stays."""
    if day is not None and not 0 <= day <= 6:
        raise ValueError(f"nudge_day must be 0 (Monday) to 6 (Sunday), not {day}")
    if at is not None:
        hour, _, minute = at.partition(":")
        if not (hour.isdigit() and minute.isdigit() and int(hour) < 24 and int(minute) < 60 and len(minute) == 2):
            raise ValueError(f"nudge_time must be HH:MM, not '{at}'")
        person.nudge_time = f"{int(hour):02d}:{minute}"
    if day is not None:
        person.nudge_day = day
    session.add(person)


@dataclass(frozen=True)
class OwnHistoryRow:
    lesson_id: str
    lesson_version: str
    sent_at: datetime
    practice: str | None
    check_correct: bool | None


def own_history(session: Session, *, person_id: int, limit: int = 50) -> list[OwnHistoryRow]:
    """This person's sent lessons, newest first, each with their own reply if any."""
    # sqlmodel's select() is typed for at most four columns; for more it builds this same Select.
    picked: Select[str, str, datetime | None, str | None, bool | None] = Select(
        col(Delivery.lesson_id),
        col(Delivery.lesson_version),
        col(Delivery.sent_at),
        col(Reply.practice),
        col(Reply.check_correct),
    )
    query = (
        picked.outerjoin(Reply, col(Reply.delivery_id) == Delivery.id)
        .where(Delivery.person_id == person_id, Delivery.status == DeliveryStatus.SENT)
        .order_by(col(Delivery.sent_at).desc(), col(Delivery.id).desc())
        .limit(limit)
    )
    rows = []
    for lesson_id, version, sent_at, practice, correct in session.exec(query):
        assert sent_at is not None  # a sent delivery has its time
        rows.append(OwnHistoryRow(lesson_id, version, sent_at, practice, correct))
    return rows


def next_pending(session: Session, *, person_id: int) -> datetime | None:
    return session.exec(
        select(Delivery.due_at)
        .where(Delivery.person_id == person_id, Delivery.status == DeliveryStatus.PENDING)
        .order_by(col(Delivery.due_at))
    ).first()
