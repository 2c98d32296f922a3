"""`serve --demo` fast-forwarded in time (issues 13 and 17), so the demo shows what only weeks or months
would bring:

- a follow-up ("did you try it?") to one person for a lesson they answered "I changed something" four weeks
  ago, and a learning record with something in it;
- an impact question ("Has <lesson> made a difference to your practice?") to another person for a lesson they
  answered three months ago, and, on the first person's record, an impact question they were asked last
  month and answered, so the dashboard's impact table has one answer to count.

Demo only: the real planners never send a follow-up or an impact question in a week that holds another
nudge, and ask only a sample of people."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from bot.core.learning_records import record_url
from bot.core.loop_figures import impact_table
from bot.core.replying import Answer, FollowUpReply, save_followup, save_reply
from bot.core.service import Service
from lesson_bank.model import Lesson
from schedules.impact_planner import KIND as IMPACT, add_months
from schedules.lesson_versions import record_versions
from schedules.models import Delivery, DeliveryStatus, Person, Reply
from schedules.outbox import insert_planned
from schedules.planner import PlannedDelivery
from schedules.slots import week_key
from schedules.statistics import Filter

DEMO_REFLECTION = "I will write down who else I see in the home, and ask about them, on every visit."  # fits any lesson
IMPACT_REFLECTION = "I will talk this lesson through with my team at our next meeting."
IMPACT_LINE = "We now talk through one case like this at every team meeting."
IMPACT_MONTHS = 3


@dataclass(frozen=True)
class DemoLoop:
    person_name: str
    followup_id: int
    record_url: str


@dataclass(frozen=True)
class DemoImpact:
    person_name: str  # asked now: the question is in the outbox
    question_id: int
    answered_by: str  # asked last month and answered (on their learning record)
    shown: bool  # whether the dashboard's impact table may show the demo's figures (the disclosure threshold)


def _new_lesson(service: Service, session: Session, person: Person, now: datetime) -> Lesson | None:
    seen = set(session.exec(select(Delivery.lesson_id).where(Delivery.person_id == person.id)))
    return next(
        (l for l in service.lessons.values() if person.role in l.roles and l.id not in seen and l.is_sendable(now.date())),
        None,
    )


def _sent(
    session: Session, person: Person, lesson: Lesson, at: datetime, *, kind: str = "nudge", parent: int | None = None
) -> Delivery:
    """A delivery as if sent at `at` (its period the week it went in, an impact question's its month)."""
    assert person.id is not None  # a stored person
    delivery = Delivery(
        person_id=person.id,
        kind=kind,
        period=f"i{at:%Y-%m}" if kind == IMPACT else week_key(at.date()),
        lesson_id=lesson.id,
        lesson_version=lesson.version,
        role=person.role,
        team_id=person.team_id,
        agency=person.agency,
        channel=person.channel,
        status=DeliveryStatus.SENT,
        due_at=at,
        sent_at=at,
        attempts=1,
        created_at=at,
        parent_id=parent,
        months=IMPACT_MONTHS if kind == IMPACT else None,
    )
    session.add(delivery)
    session.commit()
    return delivery


def _answered(service: Service, session: Session, person: Person, lesson: Lesson, then: datetime, reflection: str) -> Delivery:
    """A nudge sent at `then` and answered "I changed something" that day, through the one reply path."""
    record_versions(session, lessons=[lesson], now=then)
    past = _sent(session, person, lesson, then)
    assert past.id is not None  # inserted
    save_reply(service, session, delivery_id=past.id, answer=Answer(practice="changed", reflection=reflection))
    reply = session.exec(select(Reply).where(Reply.delivery_id == past.id)).one()
    reply.created_at = reply.updated_at = then + timedelta(hours=2)  # as if answered that day
    session.add(reply)
    session.commit()
    return past


def _ask_now(service: Service, session: Session, person: Person, past: Delivery, kind: str, period: str, now: datetime) -> int:
    """A follow-up or impact question about `past`, due now, written by the outbox's own insert."""
    assert person.id is not None and past.id is not None  # stored rows
    planned = PlannedDelivery(
        person.id,
        period,
        past.lesson_id,
        past.lesson_version,
        now,
        False,
        person.channel,
        person.role,
        person.team_id,
        person.agency,
        kind=kind,
        parent_id=past.id,
        months=IMPACT_MONTHS if kind == IMPACT else None,
    )
    insert_planned(session, planned=[planned], now=now)
    session.commit()
    asked = session.exec(select(Delivery.id).where(Delivery.parent_id == past.id, Delivery.kind == kind)).one()
    assert asked is not None  # a primary key
    return asked


def seed_loop_demo(service: Service, now: datetime) -> DemoLoop | None:
    with Session(service.engine) as session:
        person = session.exec(select(Person).order_by(col(Person.id))).first()
        if person is None:
            return None
        assert person.id is not None  # a stored person
        lesson = _new_lesson(service, session, person, now)
        if lesson is None:
            return None
        past = _answered(
            service, session, person, lesson, now - timedelta(weeks=service.settings.followup_weeks), DEMO_REFLECTION
        )
        followup_id = _ask_now(service, session, person, past, "followup", f"f{past.id}", now)
        return DemoLoop(person.name, followup_id, record_url(service, person.id, now))


def seed_impact_demo(service: Service, now: datetime) -> DemoImpact | None:
    """Run after `seed_loop_demo`: the first person (who has the follow-up) gets last month's answered impact
    question on their record; the second is asked one now."""
    with Session(service.engine) as session:
        people = session.exec(select(Person).order_by(col(Person.id)).limit(2)).all()
        if len(people) < 2:
            return None
        first, second = people
        earlier, lesson = now - timedelta(days=30), _new_lesson(service, session, first, now)
        if lesson is None or (asking := _new_lesson(service, session, second, now)) is None:
            return None
        # the first person: answered four months ago, asked at three months (last month), answered "a little"
        past = _answered(service, session, first, lesson, add_months(earlier, -IMPACT_MONTHS), IMPACT_REFLECTION)
        asked = _sent(session, first, lesson, earlier, kind=IMPACT, parent=past.id)
        assert asked.id is not None  # inserted
        answer = save_followup(
            service, session, delivery_id=asked.id, answer=FollowUpReply(outcome="a_little", barrier=IMPACT_LINE)
        ).answer
        answer.created_at = answer.updated_at = earlier + timedelta(hours=3)
        session.add(answer)
        session.commit()
        # the second person: answered three months ago, asked now
        past = _answered(service, session, second, asking, add_months(now, -IMPACT_MONTHS), IMPACT_REFLECTION)
        question_id = _ask_now(service, session, second, past, IMPACT, f"i{now:%Y-%m}", now)
        # what a lead will see, from the same table the dashboard publishes (not a guess at the threshold)
        total = impact_table(service, session, by="theme", where=Filter()).total
        return DemoImpact(second.name, question_id, first.name, total.counts["asked"] is not None)
