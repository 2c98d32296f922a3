"""What the impact planner (issue 17) needs from the database: each active person's answered lessons, the
questions already asked, and the weeks that already hold something for them."""

from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from schedules.impact_planner import KIND, Answered, ImpactPerson, add_months
from schedules.loop_store import busy_weeks
from schedules.models import Delivery, DeliveryStatus, Person, PersonStatus, Reply
from schedules.people import due_for_planning, recipient
from schedules.planner import Recipient
from schedules.id_sets import in_ids
from schedules.sql_hints import unindexed

LATE = timedelta(days=62)  # a question not asked within two months of its interval is not asked at all


def impact_people(
    session: Session, *, now: datetime, due_by: datetime, intervals: tuple[int, ...], lessons: set[str]
) -> list[tuple[ImpactPerson, Recipient]]:
    """Active people due for planning by `due_by` with an answer to one of `lessons` old enough for the
    shortest interval and young enough for the longest, each with what the pure planner must know.

    A question goes at the weekly slot, so only people due for planning (`due_for_planning`) can be asked
    this tick: an idle tick reads nobody (it read every answer of the last year, each minute)."""
    if not intervals:
        return []
    oldest = add_months(now - LATE, -max(intervals))
    newest = add_months(now, -min(intervals))
    rows = session.exec(
        select(Delivery, Reply, Person)
        .join(Reply, col(Reply.delivery_id) == Delivery.id)
        .join(Person, col(Person.id) == Delivery.person_id)
        .where(
            unindexed(col(Delivery.kind)) == "nudge",
            unindexed(col(Delivery.lesson_id)).in_(lessons),
            due_for_planning(due_by),
            col(Reply.created_at) >= oldest,
            col(Reply.created_at) <= newest,
            Person.status == PersonStatus.ACTIVE,
        )
        .order_by(col(Person.id), col(Reply.created_at))
    ).all()
    people: dict[int, tuple[Person, list[Answered]]] = {}
    for delivery, reply, person in rows:
        assert person.id is not None and delivery.id is not None  # stored rows
        people.setdefault(person.id, (person, []))[1].append(
            Answered(delivery.lesson_id, delivery.lesson_version, reply.created_at, reply.practice, delivery.id, delivery.channel)
        )
    if not people:
        return []
    ids = list(people)
    asked: dict[int, set[tuple[str, int]]] = {}
    months: dict[int, set[str]] = {}
    for person_id, lesson_id, interval, period in session.exec(
        select(Delivery.person_id, Delivery.lesson_id, Delivery.months, Delivery.period).where(
            in_ids(session, col(Delivery.person_id), ids), Delivery.kind == KIND, Delivery.status != DeliveryStatus.CANCELLED
        )
    ):
        assert person_id is not None  # selected by person id
        asked.setdefault(person_id, set()).add((lesson_id, interval or 0))
        months.setdefault(person_id, set()).add(period.removeprefix("i"))
    busy = busy_weeks(session, person_ids=ids)
    found = []
    for person_id, (person, answered) in people.items():
        to = recipient(person)
        found.append(
            (
                ImpactPerson(
                    person_id,
                    to.timezone,
                    to.nudge_day,
                    to.nudge_time,
                    to.status,
                    tuple(answered),
                    frozenset(asked.get(person_id, ())),
                    frozenset(months.get(person_id, ())),
                    frozenset(busy.get(person_id, ())),
                ),
                to,
            )
        )
    return found
