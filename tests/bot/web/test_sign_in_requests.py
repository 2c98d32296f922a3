"""Sign-in requests: the same answer, in the same time, for every address, whatever the mail relay does;
rate limits per address and per client; every request in the audit log."""

import asyncio
import time
from urllib.parse import urlencode

from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from bot.compose import build_service
from bot.core.clock import utcnow
from bot.web.app import create_app
from schedules.models import AuditEvent, Person, SignInLink, Team
from tests.conftest import RecordingHandler, free_port

LEAD, MEMBER, STRANGER = "lead@example.org", "member@example.org", "nobody@example.org"


def _people(service) -> None:
    with Session(service.engine) as session:
        team = Team(name="Team 1", agency="Agency 1")
        session.add(team)
        session.flush()
        for email, access in ((LEAD, "safeguarding_lead"), (MEMBER, "member")):
            session.add(
                Person(
                    email=email, name="P", role="police", team_id=team.id, agency="Agency 1", access=access, created_at=utcnow()
                )
            )
        session.commit()


class SlowRelay(RecordingHandler):
    async def handle_DATA(self, server, session, envelope):
        await asyncio.sleep(1.5)
        return await super().handle_DATA(server, session, envelope)


async def _timed_post(app, email: str, client: str = "192.0.2.1") -> tuple[int, bytes, float, float]:
    """Drive the ASGI app as a server would: when is the answer complete, and when is the app done?"""
    began, answer = time.perf_counter(), {"body": b""}
    body = urlencode({"email": email}).encode()

    async def receive():
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message):
        if message["type"] == "http.response.start":
            answer["status"] = message["status"]
        elif message["type"] == "http.response.body":
            answer["body"] += message.get("body", b"")
            if not message.get("more_body"):
                answer["at"] = time.perf_counter() - began

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/dashboard/sign-in",
        "raw_path": b"/dashboard/sign-in",
        "query_string": b"",
        "root_path": "",
        "headers": [(b"content-type", b"application/x-www-form-urlencoded"), (b"host", b"testserver")],
        "client": (client, 5000),
        "server": ("testserver", 80),
    }
    await app(scope, receive, send)
    return answer["status"], answer["body"], answer["at"], time.perf_counter() - began


def test_a_slow_relay_never_delays_the_answer(settings):
    handler = SlowRelay()
    handler.port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=handler.port)
    controller.start()
    try:
        service = build_service(settings.model_copy(update={"smtp_url": f"smtp://127.0.0.1:{handler.port}"}))
        _people(service)
        app = create_app(service)
        lead = asyncio.run(_timed_post(app, LEAD))
        stranger = asyncio.run(_timed_post(app, STRANGER))
    finally:
        controller.stop()
    assert lead[0] == stranger[0] == 200 and lead[1] == stranger[1]
    assert lead[2] < 1.0 and stranger[2] < 1.0  # answered before the relay took its 1.5 s
    assert lead[3] >= 1.5  # ...and the link was still sent, afterwards
    assert [m.rcpt_tos for m in handler.messages] == [[LEAD]]


def test_a_failing_relay_gives_every_address_the_same_answer(settings):
    service = build_service(settings.model_copy(update={"smtp_url": f"smtp://127.0.0.1:{free_port()}"}))  # nothing listens
    _people(service)
    client = TestClient(create_app(service))
    answers = [client.post("/dashboard/sign-in", data={"email": email}) for email in (LEAD, MEMBER, STRANGER)]
    assert {a.status_code for a in answers} == {200} and len({a.text for a in answers}) == 1
    with Session(service.engine) as session:
        events = session.exec(select(AuditEvent).where(AuditEvent.action == "dashboard.link_requested")).all()
        assert sorted(e.actor for e in events) == sorted((LEAD, MEMBER, STRANGER))
        assert all(e.detail == "client testclient" for e in events)
        assert len(session.exec(select(SignInLink)).all()) == 1  # made for the lead only, out of sight


def test_requests_are_limited_per_address_and_per_client(service):
    _people(service)
    client = TestClient(create_app(service))
    codes = [client.post("/dashboard/sign-in", data={"email": LEAD}).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    assert len(list(service.settings.mail_dir.glob("mail-*.eml"))) == 3
    # A sweep over many addresses from one client stops too, and the refusal looks the same for all.
    sweep = [client.post("/dashboard/sign-in", data={"email": f"x{i}@example.org"}) for i in range(20)]
    assert [a.status_code for a in sweep].count(429) >= 3
    refused = {a.text for a in sweep if a.status_code == 429}
    assert len(refused) == 1 and "Too many sign-in requests" in refused.pop()
