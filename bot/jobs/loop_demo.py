"""`serve --demo` fast-forwarded four weeks for one person (issue 13): a lesson they read and answered
"I changed something" four weeks ago, and its follow-up ("did you try it?") sent now, so the demo shows a
follow-up and a learning record with something in it. Demo only: the real planner never sends a follow-up
in a week that holds another nudge."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from bot.core.learning_records import record_url
from bot.core.replying import Answer, save_reply
from bot.core.service import Service
from schedules.lesson_versions import record_versions
from schedules.models import Delivery, DeliveryStatus, Person, Reply
from schedules.outbox import insert_planned
from schedules.planner import PlannedDelivery
from schedules.slots import week_key

DEMO_REFLECTION = "I will ask to see where the baby sleeps on every home visit, not only the living room."


@dataclass(frozen=True)
class DemoLoop:
    person_name: str
    followup_id: int
    record_url: str


def seed_loop_demo(service: Service, now: datetime) -> DemoLoop | None:
    with Session(service.engine) as session:
        person = session.exec(select(Person).order_by(col(Person.id))).first()
        if person is None:
            return None
        assert person.id is not None  # a stored person
        seen = set(session.exec(select(Delivery.lesson_id).where(Delivery.person_id == person.id)))
        lesson = next(
            (l for l in service.lessons.values() if person.role in l.roles and l.id not in seen and l.is_sendable(now.date())),
            None,
        )
        if lesson is None:
            return None
        then = now - timedelta(weeks=service.settings.followup_weeks)
        record_versions(session, lessons=[lesson], now=then)
        past = Delivery(
            person_id=person.id,
            period=week_key(then.date()),
            lesson_id=lesson.id,
            lesson_version=lesson.version,
            role=person.role,
            team_id=person.team_id,
            agency=person.agency,
            channel=person.channel,
            status=DeliveryStatus.SENT,
            due_at=then,
            sent_at=then,
            attempts=1,
            created_at=then,
        )
        session.add(past)
        session.commit()
        assert past.id is not None  # inserted
        save_reply(service, session, delivery_id=past.id, answer=Answer(practice="changed", reflection=DEMO_REFLECTION))
        reply = session.exec(select(Reply).where(Reply.delivery_id == past.id)).one()
        reply.created_at = reply.updated_at = then + timedelta(hours=2)  # as if answered that day
        session.add(reply)
        planned = PlannedDelivery(
            person.id,
            f"f{past.id}",
            lesson.id,
            lesson.version,
            now,
            False,
            person.channel,
            person.role,
            person.team_id,
            person.agency,
            kind="followup",
            parent_id=past.id,
        )
        insert_planned(session, planned=[planned], now=now)
        session.commit()
        followup_id = session.exec(select(Delivery.id).where(Delivery.parent_id == past.id)).one()
        assert followup_id is not None  # a primary key
        return DemoLoop(person.name, followup_id, record_url(service, person.id, now))
