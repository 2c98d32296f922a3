"""A lived record for the supervision tests, dated back from the real clock (the pages use it): Ann has
answers 5, 25 and 70 days ago and a follow-up; Ben, in the same team, answered 3 days ago."""

import re
from dataclasses import dataclass
from datetime import timedelta

from sqlmodel import Session, select

from bot.core.clock import utcnow
from bot.core.learning_records import record_url
from schedules.models import Delivery, DeliveryStatus, FollowUpAnswer, Person, Reply
from tests.helpers import upsert_roster
from schedules.roster import parse_roster
from lesson_bank.taxonomy import load_taxonomy

ROSTER = (
    "email,name,role,team,agency,supervisor_email\n"
    "ann@example.org,Ann Smith,social-worker,North,Council,sam.super@example.org\n"
    "ben@example.org,Ben Jones,social-worker,North,Council,\n"
)
RECENT, MONTH, OLD, BENS = "RECENT-reflection", "MONTH-reflection", "OLD-reflection", "BEN-reflection"
BARRIER = "BARRIER-duty-weeks"
SHARED_LINK = re.compile(r"http://[^/\"]+(/shared/[\w.-]+)")


@dataclass(frozen=True)
class History:
    ann: int
    ben: int
    lessons: tuple[str, str, str]  # Ann's: 5, 25 and 70 days ago

    def record_path(self, service, person_id: int) -> str:
        return record_url(service, person_id, utcnow()).removeprefix(service.settings.base_url.rstrip("/"))


def _sent(session: Session, person: Person, lesson, days_ago: int, period: str, kind: str = "nudge", parent=None):
    at = utcnow() - timedelta(days=days_ago)
    delivery = Delivery(
        person_id=person.id,
        kind=kind,
        period=period,
        lesson_id=lesson.id,
        lesson_version=lesson.version,
        role=person.role,
        team_id=person.team_id,
        agency=person.agency,
        status=DeliveryStatus.SENT,
        due_at=at,
        sent_at=at,
        created_at=at,
        parent_id=parent,
    )
    session.add(delivery)
    session.flush()
    return delivery


def _reply(session: Session, delivery: Delivery, practice: str, reflection: str) -> None:
    assert delivery.sent_at is not None
    session.add(
        Reply(
            delivery_id=delivery.id,
            person_id=delivery.person_id,
            lesson_id=delivery.lesson_id,
            lesson_version=delivery.lesson_version,
            practice=practice,
            check_correct=False,
            check_answer=1,
            reflection=reflection,
            created_at=delivery.sent_at,
            updated_at=delivery.sent_at,
        )
    )


def shared_history(service) -> History:
    rows, problems = parse_roster(ROSTER, "roster.csv", set(load_taxonomy().roles))
    assert not problems, [str(p) for p in problems]
    lessons = sorted(service.lessons.values(), key=lambda lesson: lesson.id)[:4]
    with Session(service.engine) as session:
        upsert_roster(session, rows, now=utcnow())
        session.flush()
        ann = session.exec(select(Person).where(Person.email == "ann@example.org")).one()
        ben = session.exec(select(Person).where(Person.email == "ben@example.org")).one()
        recent = _sent(session, ann, lessons[0], 5, "w1")
        _reply(session, recent, "changed", RECENT)
        followup = _sent(session, ann, lessons[0], 1, "f1", kind="followup", parent=recent.id)
        session.add(
            FollowUpAnswer(
                delivery_id=followup.id,
                person_id=ann.id,
                lesson_id=followup.lesson_id,
                outcome="helped",
                barrier=BARRIER,
                created_at=utcnow(),
                updated_at=utcnow(),
            )
        )
        _reply(session, _sent(session, ann, lessons[1], 25, "w2"), "not_yet", MONTH)
        _reply(session, _sent(session, ann, lessons[2], 70, "w3"), "changed", OLD)
        _reply(session, _sent(session, ben, lessons[3], 3, "w1"), "changed", BENS)
        session.commit()
        assert ann.id is not None and ben.id is not None
        return History(ann.id, ben.id, (lessons[0].title, lessons[1].title, lessons[2].title))
