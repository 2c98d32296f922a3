"""Shared by the frontline-voice tests: one nudge sent by email, and a lead signed in to the dashboard."""

import asyncio
import re
from email import message_from_bytes, policy

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from bot.core.clock import utcnow
from bot.jobs.dispatcher import dispatch_due
from bot.jobs.planning import run_planning
from bot.web import dashboard_auth
from bot.web.app import create_app
from schedules.models import Person
from tests.conftest import utc
from tests.helpers import add_people

NOW = utc(2026, 11, 24, 12)


def reply_path(service, email: str) -> str:
    """The reply link in the nudge sent to `email` (the mail folder holds one .eml per nudge)."""
    for path in service.settings.mail_dir.glob("*.eml"):
        message = message_from_bytes(path.read_bytes(), policy=policy.default)
        if message["To"] and email in message["To"]:
            text = message.get_body(("plain",)).get_content()
            return re.search(r"http://testserver(/r/[\w.-]+)\?check=1", text).group(1)
    raise AssertionError(f"no nudge for {email}")


def send_nudges(service, rows: list[str]) -> None:
    add_people(service.engine, rows)
    run_planning(service, NOW)
    asyncio.run(dispatch_due(service, lambda: NOW))


def lead_client(service, email: str, access: str, agency: str = "Agency") -> TestClient:
    with Session(service.engine) as session:
        person = session.exec(select(Person).where(Person.email == email)).first()
        if person is None:
            person = Person(email=email, name="Lead", role="social-worker", agency=agency, created_at=utcnow())
        person.access, person.agency = access, agency
        session.add(person)
        session.commit()
        link = dashboard_auth.new_link(service, session, person, utcnow())
    client = TestClient(create_app(service))
    assert client.post(link.removeprefix("http://testserver"), follow_redirects=False).status_code == 303
    return client
