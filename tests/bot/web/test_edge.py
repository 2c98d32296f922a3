"""The web edge: body caps before reading, security headers, Origin checks, no API schema in production,
sign-out and short sessions, access logs without tokens, names with '&' in dashboard links."""

import logging

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from bot.compose import build_service
from bot.web import dashboard_auth
from bot.web.access_log import TokenlessAccessLog, tokenless
from bot.web.app import create_app
from bot.web.edge import CHAT_LIMIT, FORM_LIMIT
from schedules.models import Team
from tests.bot.web.test_dashboard import MEMBERS, last_link, seeded, signed_in  # noqa: F401  (fixture)


@pytest.fixture
def client(service):
    return TestClient(create_app(service))


def test_a_body_over_the_route_cap_is_refused_before_it_is_read(service, client):
    big = b"x" * (FORM_LIMIT + 1)
    assert client.post("/r/1.2.3", content=big, headers={"Content-Type": "application/x-www-form-urlencoded"}).status_code == 413
    chat = b"{" + b" " * CHAT_LIMIT + b"}"
    assert client.post("/api/teams/messages", content=chat, headers={"Content-Type": "application/json"}).status_code == 413


async def test_a_streamed_body_without_length_is_counted_and_cut_off(service):
    received = []

    async def chunks():
        for _ in range(40):  # 40 x 64 KiB = 2.5 MiB, sent chunked: no Content-Length to check up front
            received.append(1)
            yield b"x" * 65536

    app = create_app(service)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as http:
        response = await http.post(
            "/dashboard/sign-in", content=chunks(), headers={"Content-Type": "application/x-www-form-urlencoded"}
        )
    assert response.status_code == 413 and len(received) < 10


def test_every_response_carries_security_headers(client):
    for response in (client.get("/healthz"), client.get("/dashboard/sign-in"), client.get("/r/bad")):
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "same-origin"  # tokens in URLs never reach another site


def test_a_post_from_another_site_is_refused(client, service):
    form = {"email": "someone@example.org"}
    assert client.post("/dashboard/sign-in", data=form, headers={"Origin": "https://evil.example"}).status_code == 403
    assert client.post("/dashboard/sign-in", data=form, headers={"Referer": "https://evil.example/x"}).status_code == 403
    assert client.post("/dashboard/sign-in", data=form, headers={"Origin": "null"}).status_code == 403
    assert client.post("/dashboard/sign-in", data=form, headers={"Sec-Fetch-Site": "cross-site"}).status_code == 403
    assert client.post("/dashboard/sign-in", data=form, headers={"Sec-Fetch-Site": "same-site"}).status_code == 403
    assert client.post("/dashboard/sign-in", data=form, headers={"Sec-Fetch-Site": "same-origin"}).status_code == 200
    assert client.post("/dashboard/sign-in", data=form, headers={"Origin": "http://testserver"}).status_code == 200
    assert client.post("/dashboard/sign-in", data=form).status_code == 200  # no Origin: a mail client's one-click POST


def test_the_api_schema_and_docs_are_off_outside_development(service, settings):
    assert TestClient(create_app(service)).get("/openapi.json").status_code == 404
    assert TestClient(create_app(service)).get("/docs").status_code == 404
    dev = build_service(settings.model_copy(update={"env": "dev"}))
    try:
        assert TestClient(create_app(dev)).get("/openapi.json").status_code == 200
    finally:
        dev.engine.dispose()


def test_a_form_that_cannot_be_read_gets_a_page_not_json(client):
    response = client.post("/dashboard/sign-in", data={})
    assert response.status_code == 400 and response.headers["content-type"].startswith("text/html")
    assert "email" in response.text


def test_sign_out_ends_the_session_and_sessions_are_short(service, seeded):  # noqa: F811
    assert dashboard_auth.SESSION_LIFETIME.total_seconds() < 8 * 3600
    client = signed_in(service, "admin@example.org")
    assert client.get("/dashboard").status_code == 200
    assert 'action="/dashboard/sign-out"' in client.get("/dashboard").text
    out = client.post("/dashboard/sign-out", follow_redirects=False)
    assert out.status_code == 303 and out.headers["location"] == "/dashboard/sign-in"
    assert dashboard_auth.COOKIE not in client.cookies
    assert client.get("/dashboard", follow_redirects=False).status_code == 303


def test_team_names_with_ampersands_make_working_csv_links(service, seeded):  # noqa: F811
    with Session(service.engine) as session:
        team = session.exec(select(Team).where(Team.name == "Team 1")).one()
        team.name = "Early Help & Family"
        session.add(team)
        session.commit()
    client = signed_in(service, "admin@example.org")
    page = client.get("/dashboard", params={"team": "Early Help & Family"})
    assert page.status_code == 200
    assert "team=Early+Help+%26+Family" in page.text
    assert client.get("/dashboard/team.csv?team=Early+Help+%26+Family").status_code == 200


@pytest.mark.parametrize(
    "path, logged",
    [
        ("/r/1.6b2d.MJa6h49X?check=2", "/r/{token}"),
        ("/u/5.abc.def", "/u/{token}"),
        ("/a/3.x.y?week=2026-W48", "/a/{token}"),
        ("/dashboard/s/9.a.b", "/dashboard/s/{token}"),
        ("/me/1.6b373d37.-9Zy8A3N34fJuUWpTZKEAB3p/record.pdf", "/me/{token}/record.pdf"),  # a private record
        ("/f/2.6b2d.MJa6h49X?outcome=helped", "/f/{token}"),
        ("/shared/7.6b2d.Zx_-1", "/shared/{token}"),
        ("/reminders-off/4.6b2d.Qq", "/reminders-off/{token}"),
        ("/dashboard?team=Blue", "/dashboard"),
        ("/healthz", "/healthz"),
    ],
)
def test_access_log_keeps_routes_not_tokens(path, logged):
    assert tokenless(path) == logged
    record = logging.LogRecord(
        "uvicorn.access", logging.INFO, "", 0, '%s - "%s %s HTTP/%s" %d', ("127.0.0.1:5000", "GET", path, "1.1", 200), None
    )
    assert TokenlessAccessLog().filter(record) and logged in record.getMessage() and "check=" not in record.getMessage()
