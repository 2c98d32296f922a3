"""A staged roll-out end to end over email: a team waits for its wave (no nudge, no agenda item) while every
team of the roll-out gets the step's check-in through the dispatcher, answered on its own reply page
without the lesson or the right answer, and without touching spacing; when the wave starts, its nudges begin."""

import re
from datetime import date

import httpx
from sqlmodel import Session, select

from bot.jobs.dispatcher import dispatch_due
from bot.jobs.planning import run_planning
from bot.web.app import create_app
from schedules.evaluation import WaveAssignment
from schedules.models import Delivery, Person, Reply, SpacingCard, Team
from schedules.rollout_store import save_plan
from tests.bot.jobs.test_reminders_email import body_of, smtp_service
from tests.conftest import utc
from tests.helpers import add_people

START, WAVE_2 = date(2026, 11, 23), date(2026, 12, 7)  # Mondays, two weeks apart
STEP_0 = utc(2026, 11, 24, 12)  # Tuesday, after the 10:00 slot
STEP_1 = utc(2026, 12, 8, 12)


def plan_rollout(service) -> dict[str, int]:
    add_people(
        service.engine,
        [
            "ann@example.org,Ann Smith,social-worker,North,Council,Europe/London,Tuesday,10:00",
            "bob@example.org,Bob Jones,social-worker,South,Council,Europe/London,Tuesday,10:00",
            "cy@example.org,Cy Lee,social-worker,West,Council,Europe/London,Tuesday,10:00",
        ],
    )
    with Session(service.engine) as session:
        teams = {t.name: t.id for t in session.exec(select(Team))}
        plan = [
            WaveAssignment(teams["North"], "Council", 1, START),
            WaveAssignment(teams["South"], "Council", 2, WAVE_2),
        ]  # West is not in the roll-out
        save_plan(session, plan, seed=1, every_weeks=2, themes=("everyones-business",), now=STEP_0)
        session.commit()
    return teams


def sent(service, kind: str) -> list[tuple[str, str]]:
    with Session(service.engine) as session:
        rows = session.exec(
            select(Person.email, Delivery.period)
            .join(Person)
            .where(Delivery.kind == kind)
            .order_by(Person.email, Delivery.period)
        )
        return [(email, period) for email, period in rows]


async def test_a_team_waits_for_its_wave_but_every_team_gets_the_check_in_by_email(settings, smtp_server):
    service = smtp_service(settings, smtp_server.port)
    plan_rollout(service)
    run_planning(service, STEP_0)
    assert [email for email, _ in sent(service, "nudge")] == ["ann@example.org", "cy@example.org"]  # South waits
    assert sent(service, "checkin") == [("ann@example.org", "c0.0"), ("bob@example.org", "c0.0")]  # West is not in it
    run_planning(service, STEP_0)  # a second tick (or replica) writes nothing more
    assert len(sent(service, "checkin")) == 2
    stats = await dispatch_due(service, lambda: STEP_0)
    assert stats.sent == 4 and len(smtp_server.messages) == 4
    bob = [m for m in smtp_server.messages if m.rcpt_tos == ["bob@example.org"]]
    [checkin_mail] = bob
    subject, text, html = body_of(checkin_mail)
    assert subject.startswith("A two-tap check-in: ")
    with Session(service.engine) as session:
        checkin = session.exec(select(Delivery).join(Person).where(Person.email == "bob@example.org")).one()
    lesson = service.lessons[checkin.lesson_id]
    assert lesson.check.question in text and lesson.try_this_week not in text  # the question alone, no lesson
    token = re.search(r"http://testserver/r/([\w.-]+)\?check=1", text).group(1)
    assert service.signer.verify("reply", token, STEP_0).subject_id == checkin.id
    assert f"/r/{token}?practice=changed" in html
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(service)), base_url="http://testserver") as client:
        page = await client.get(f"/r/{token}?check=2")
        assert "A two-tap check-in" in page.text and lesson.title not in page.text
        right = lesson.check.answer
        thanks = await client.post(f"/r/{token}", data={"check": str(right), "practice": "already"})
    assert thanks.status_code == 200 and "(right answer)" not in thanks.text and lesson.try_this_week not in thanks.text
    with Session(service.engine) as session:
        [reply] = session.exec(select(Reply))
        assert (reply.delivery_id, reply.check_correct, reply.check_asked, reply.practice) == (
            checkin.id,
            True,
            "first",
            "already",
        )
        assert session.exec(select(SpacingCard)).all() == []  # a check-in measures; it is not a review
    # wave 2 starts: South's nudges begin, and both teams get step 1's check-in (a different question)
    run_planning(service, STEP_1)
    assert "bob@example.org" in [email for email, _ in sent(service, "nudge")]
    assert ("bob@example.org", "c1.0") in sent(service, "checkin") and ("ann@example.org", "c1.0") in sent(service, "checkin")
    with Session(service.engine) as session:
        lessons = {d.period: d.lesson_id for d in session.exec(select(Delivery).where(Delivery.kind == "checkin"))}
    assert lessons["c0.0"] != lessons["c1.0"]
    await service.close()
