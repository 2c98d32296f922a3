"""Weekly emails over real SMTP: the agenda item to the team lead before the meeting, once; the lead
digest with its chart as an inline PNG."""

import asyncio
from email import message_from_bytes, policy

import pytest
from sqlmodel import Session, select

from bot.compose import build_service
from bot.jobs.weekly import send_weekly
from schedules.models import Person, Team
from tests.conftest import utc
from tests.seed_history import seed_history


@pytest.fixture
def smtp_service(settings, smtp_server):
    service = build_service(settings.model_copy(update={"smtp_url": f"smtp://127.0.0.1:{smtp_server.port}"}))
    yield service
    service.engine.dispose()


def _setup(service):
    seed_history(service.engine, list(service.lessons.values()), teams=2, per_team=12, weeks=12)
    with Session(service.engine) as session:
        team = session.exec(select(Team).where(Team.name == "Team 1")).one()
        lead = Person(
            email="lead@example.org",
            name="Lee",
            role="social-worker",
            team_id=team.id,
            agency=team.agency,
            access="team_lead",
            created_at=utc(2026, 1, 1),
        )
        safe = Person(
            email="safe@example.org",
            name="Sal",
            role="social-worker",
            team_id=team.id,
            agency=team.agency,
            access="safeguarding_lead",
            created_at=utc(2026, 1, 1),
        )
        session.add_all([lead, safe])
        session.flush()
        team.lead_person_id = lead.id  # meets Wednesday 10:00 London by default
        session.add(team)
        session.commit()


def messages(smtp_server, to):
    return [message_from_bytes(m.content, policy=policy.default) for m in smtp_server.messages if to in m.rcpt_tos]


def test_agenda_goes_to_the_lead_two_days_before_the_meeting_once(smtp_service, smtp_server):
    _setup(smtp_service)
    asyncio.run(send_weekly(smtp_service, utc(2026, 11, 23, 9)))  # Monday: too early
    assert messages(smtp_server, "lead@example.org") == []
    asyncio.run(send_weekly(smtp_service, utc(2026, 11, 24, 11)))  # Tuesday
    asyncio.run(send_weekly(smtp_service, utc(2026, 11, 24, 12)))  # again: not twice
    (mail,) = messages(smtp_server, "lead@example.org")
    assert mail["Subject"].startswith("Team agenda for the week of 23 November")
    assert mail["To"].addresses[0].display_name and mail["To"].addresses[0].addr_spec == "lead@example.org"  # a named recipient
    text = mail.get_body(("plain",)).get_content()
    assert "http://testserver/a/" in text and "?week=2026-W48" in text and "ONE ACTION TO AGREE" in text


def test_the_lead_digest_carries_figures_and_a_chart(smtp_service, smtp_server):
    _setup(smtp_service)
    asyncio.run(send_weekly(smtp_service, utc(2026, 11, 23, 9)))  # Monday 09:00 London
    (mail,) = messages(smtp_server, "safe@example.org")
    html = mail.get_body(("html",)).get_content()
    assert "Themes with the least practice change" in html and "Week by week" in html
    # The chart is drawn in HTML with its figures written out: no image (an image-heavy email scores as spam).
    assert not [part for part in mail.walk() if part.get_content_maintype() == "image"] and "<img" not in html
    assert mail["To"].addresses[0].display_name
    text = mail.get_body(("plain",)).get_content()
    assert "Reply rate:" in text and "Smith" not in text


def test_a_line_break_in_an_agency_name_does_not_lose_the_digest(smtp_service, smtp_server):
    _setup(smtp_service)
    with Session(smtp_service.engine) as session:
        for person in session.exec(select(Person)).all():
            if person.email == "safe@example.org":
                person.agency = person.agency + "\nChildren's Services"
                session.add(person)
        session.commit()
    asyncio.run(send_weekly(smtp_service, utc(2026, 11, 23, 9)))
    (mail,) = messages(smtp_server, "safe@example.org")
    assert "\n" not in mail["Subject"] and "Children's Services" in mail["Subject"]
