"""What the loop planner needs from the database, and the cancels a reply or a switch makes (issue 13)."""

from collections.abc import Collection
from datetime import datetime, timedelta

from sqlalchemy import and_, update
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import Select

from schedules.id_sets import in_ids
from schedules.impact_planner import KIND as IMPACT
from schedules.loop_planner import COMMITMENTS, Commitment, SentNudge, week_of
from schedules.models import Delivery, DeliveryStatus, Person, PersonStatus, Reply
from schedules.people import due_for_planning, recipient
from schedules.rollout import CHECKIN
from schedules.sql_hints import unindexed

# A reminder that could only go out once the next weekly lesson is due is dropped (loop_planner.plan_reminders),
# so a nudge sent more than a week ago (a day more for clock changes) is past reminding: the query that runs
# every minute reads only the last eight days' unanswered nudges, not the reply links' thirty.
LOOKBACK = timedelta(days=8)
# Every kind of delivery that puts a message in a person's week: a follow-up or an impact question goes only
# to a week that holds none of them.
MESSAGE_KINDS = ("nudge", "reminder", "followup", IMPACT, CHECKIN)


def sent_nudges(session: Session, *, now: datetime, sent_by: datetime) -> list[SentNudge]:
    """Sent, unanswered nudges of active people, sent by `sent_by` (loop_planner.latest_remindable: later ones
    cannot be due a reminder yet), whose lesson never had a reminder for that person (one reminder a lesson,
    so this one's own included): only nudges the planner may remind now, so a tick does not re-read the same
    skipped ones every minute."""
    earlier = aliased(Delivery)
    reminded = (
        select(earlier.id)
        .where(
            col(earlier.person_id) == Delivery.person_id,
            col(earlier.kind) == "reminder",
            col(earlier.lesson_id) == Delivery.lesson_id,
        )
        .exists()
    )
    query = (
        select(Delivery, Person)
        .join(Person, col(Person.id) == Delivery.person_id)
        .outerjoin(Reply, col(Reply.delivery_id) == Delivery.id)
        .where(
            unindexed(col(Delivery.kind)) == "nudge",
            unindexed(col(Delivery.status)) == DeliveryStatus.SENT,
            col(Delivery.sent_at) >= now - LOOKBACK,
            col(Delivery.sent_at) <= sent_by,
            col(Reply.id).is_(None),
            ~reminded,
            Person.status == PersonStatus.ACTIVE,
            col(Person.reminders).is_(True),  # the person's own switch: off means no reminder to plan
        )
    )
    rows = sorted(session.exec(query), key=lambda row: row[0].id or 0)  # by nudge, as ORDER BY id did (stored: ids set)
    nudges = []
    for d, p in rows:
        assert d.id is not None and d.sent_at is not None  # a stored delivery, selected as sent
        nudges.append(
            SentNudge(d.id, recipient(p), d.sent_at, d.lesson_id, d.lesson_version, d.channel, reminders_on=p.reminders)
        )
    return nudges


def commitments(session: Session, *, now: datetime, min_age: timedelta, due_by: datetime) -> list[Commitment]:
    """Replies that made a commitment, old enough to be followed up, with no follow-up written yet, of people
    due for planning by `due_by` (`due_for_planning`: a follow-up goes at the weekly slot, so nobody else can
    have one due this tick; each tick re-read every commitment waiting for a free week)."""
    followup = aliased(Delivery)
    query = (
        select(Delivery, Person, Reply)
        .join(Reply, col(Reply.delivery_id) == Delivery.id)
        .join(Person, col(Person.id) == Delivery.person_id)
        .outerjoin(followup, and_(col(followup.parent_id) == Delivery.id, col(followup.kind) == "followup"))
        .where(
            unindexed(col(Delivery.kind)) == "nudge",
            col(Reply.practice).in_(COMMITMENTS),
            col(Reply.created_at) <= now - min_age,
            due_for_planning(due_by),
            col(followup.id).is_(None),
            col(Person.status).in_([PersonStatus.ACTIVE, PersonStatus.PAUSED]),
        )
    )
    rows = sorted(session.exec(query), key=lambda row: row[0].id or 0)  # by nudge, as ORDER BY id did (stored: ids set)
    busy = busy_weeks(session, person_ids=list({p.id for _, p, _ in rows if p.id is not None}))
    found = []
    for d, p, r in rows:
        assert d.id is not None and p.id is not None  # stored rows
        found.append(
            Commitment(
                d.id,
                recipient(p),
                r.created_at,
                d.lesson_id,
                d.lesson_version,
                d.channel,
                r.practice,
                frozenset(busy.get(p.id, ())),
            )
        )
    return found


def busy_weeks(session: Session, *, person_ids: list[int], kinds: tuple[str, ...] = MESSAGE_KINDS) -> dict[int, set[str]]:
    """Each person's local weeks that hold a delivery of one of `kinds` (cancelled ones free the week again):
    a nudge by its period, the others by the local week they are due in."""
    # sqlmodel's select() is typed for at most four columns; for more it builds this same Select.
    picked: Select[int | None, str, str, datetime, str] = Select(
        col(Delivery.person_id), col(Delivery.kind), col(Delivery.period), col(Delivery.due_at), col(Person.timezone)
    )
    rows = session.exec(
        picked.join(Person, col(Person.id) == Delivery.person_id).where(
            in_ids(session, col(Delivery.person_id), person_ids),
            col(Delivery.kind).in_(kinds),
            Delivery.status != DeliveryStatus.CANCELLED,
        )
    )
    weeks: dict[int, set[str]] = {}
    for person_id, kind, period, due_at, tz in rows:
        assert person_id is not None  # selected by person id
        weeks.setdefault(person_id, set()).add(period if kind == "nudge" else week_of(due_at, tz))
    return weeks


def cancel_reminders(session: Session, *, parent_ids: Collection[int], reason: str) -> int:
    """Replies make the pending reminders for their nudges pointless. One statement for a whole batch of
    replies (a statement each was a third of the reply writer's time in a burst of taps). The caller commits."""
    if not parent_ids:
        return 0
    result = session.exec(
        update(Delivery)
        .where(
            col(Delivery.parent_id).in_(parent_ids),
            col(Delivery.kind) == "reminder",
            col(Delivery.status) == DeliveryStatus.PENDING,
        )
        .values(status=DeliveryStatus.CANCELLED, last_error=reason)
        .execution_options(synchronize_session=False)  # the session holds no reminder rows to keep in step
    )
    return result.rowcount or 0


def set_reminders(session: Session, *, person: Person, on: bool) -> None:
    """The person's own switch; turning it off cancels any reminder not yet sent. The caller commits."""
    person.reminders = on
    session.add(person)
    if not on:
        session.execute(
            update(Delivery)
            .where(
                col(Delivery.person_id) == person.id,
                col(Delivery.kind) == "reminder",
                col(Delivery.status) == DeliveryStatus.PENDING,
            )
            .values(status=DeliveryStatus.CANCELLED, last_error="reminders switched off")
        )
