"""Dashboard: emailed single-use sign-in, audit, who sees what, and CSV agreeing with the page."""

import csv
import io
import re
from email import message_from_bytes, policy

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from bot.web.app import create_app
from bot.core.stats import stats_table
from digests.statistics import as_dict
from schedules.models import AuditEvent, Person, Team
from schedules.statistics import Filter
from tests.seed_history import seed_history

MEMBERS = {
    "lead1@example.org": ("team_lead", "Team 1"),
    "lead2@example.org": ("team_lead", "Team 2"),
    "safe@example.org": ("safeguarding_lead", "Team 1"),
    "admin@example.org": ("admin", "Team 3"),
    "member@example.org": ("member", "Team 1"),
}


@pytest.fixture
def seeded(service):
    seeded = seed_history(service.engine, list(service.lessons.values()), teams=4, per_team=12, weeks=12)
    from bot.core.clock import utcnow

    with Session(service.engine) as session:
        for email, (access, team) in MEMBERS.items():
            team_row = session.exec(select(Team).where(Team.name == team)).one()
            session.add(
                Person(
                    email=email,
                    name="Lead",
                    role="social-worker",
                    team_id=team_row.id,
                    agency=team_row.agency,
                    access=access,
                    created_at=utcnow(),
                )
            )
        session.commit()
    return seeded


def last_link(service) -> str:
    newest = max(service.settings.mail_dir.glob("mail-*.eml"), key=lambda p: p.stat().st_mtime_ns)
    text = message_from_bytes(newest.read_bytes(), policy=policy.default).get_body(("plain",)).get_content()
    return re.search(r"http://testserver(/dashboard/s/[\w.-]+)", text).group(1)


def signed_in(service, email) -> TestClient:
    client = TestClient(create_app(service))
    assert client.post("/dashboard/sign-in", data={"email": email}).status_code == 200
    link = last_link(service)
    assert "Sign in" in client.get(link).text  # GET only confirms
    response = client.post(link, follow_redirects=False)
    assert response.status_code == 303
    return client


def test_sign_in_is_emailed_single_use_and_audited(service, seeded):
    client = signed_in(service, "safe@example.org")
    assert client.get("/dashboard").status_code == 200
    with Session(service.engine) as session:
        requested, event = session.exec(select(AuditEvent).order_by(AuditEvent.id)).all()
    assert requested.actor == "safe@example.org" and requested.action == "dashboard.link_requested"
    assert event.actor == "safe@example.org" and event.action == "dashboard.sign_in"
    again = TestClient(create_app(service)).post(last_link(service), follow_redirects=False)
    assert again.status_code == 400 and "used or has expired" in again.text


def test_members_get_no_link_and_the_answer_is_the_same(service, seeded):
    client = TestClient(create_app(service))
    answer = client.post("/dashboard/sign-in", data={"email": "member@example.org"})
    assert "If that address belongs" in answer.text
    assert not list(service.settings.mail_dir.glob("mail-*.eml"))
    assert client.get("/dashboard", follow_redirects=False).status_code == 303  # not signed in


def test_a_team_lead_sees_only_their_team(service, seeded):
    client = signed_in(service, "lead1@example.org")
    assert client.get("/dashboard?team=Team 2").status_code == 403
    assert client.get("/dashboard/team.csv?team=Team 2").status_code == 403
    rows = list(csv.DictReader(io.StringIO(client.get("/dashboard/team.csv").text)))
    assert [r["key"] for r in rows] == ["Team 1", "total"]


def test_a_safeguarding_lead_sees_their_agency(service, seeded):
    client = signed_in(service, "safe@example.org")
    rows = list(csv.DictReader(io.StringIO(client.get("/dashboard/team.csv").text)))
    assert [r["key"] for r in rows] == ["Team 1", "Team 3", "total"]  # agency 1 holds teams 1 and 3
    assert client.get("/dashboard?team=Team 2").status_code == 403


def test_an_admin_sees_everything_and_the_page_matches_the_csv(service, seeded):
    client = signed_in(service, "admin@example.org")
    page = client.get("/dashboard?by=team").text
    rows = list(csv.DictReader(io.StringIO(client.get("/dashboard/team.csv").text)))
    assert [r["key"] for r in rows] == ["Team 1", "Team 2", "Team 3", "Team 4", "total"]
    with Session(service.engine) as session:
        expected = as_dict(stats_table(service, session, by="team", where=Filter()))
    table = re.search(r'<table id="table-team">(.*?)</table>', page, re.S).group(1)
    for row, csv_row in zip(expected["rows"], rows):
        assert csv_row["delivered"] == str(row["delivered"])
        assert f"<td>{row['label']}</td><td>{row['delivered']}</td>" in table
    assert page.count("<svg") >= 3


def test_a_forged_cookie_is_ignored(service, seeded):
    client = TestClient(create_app(service))
    client.cookies.set("ll_dashboard", service.signer.sign("reply", 1, __import__("datetime").datetime(2100, 1, 1)))
    assert client.get("/dashboard", follow_redirects=False).status_code == 303


def test_barriers_download_matches_the_page(service, monkeypatch):
    from datetime import datetime, timezone

    import bot.core.stats

    seed_history(service.engine, list(service.lessons.values()), teams=4, per_team=40, weeks=12)
    with Session(service.engine) as session:
        team = session.exec(select(Team)).first()
        session.add(
            Person(
                email="admin@example.org",
                name="Admin",
                role="social-worker",
                team_id=team.id,
                agency=team.agency,
                access="admin",
                created_at=datetime(2026, 1, 1, tzinfo=timezone.utc),
            )
        )
        session.commit()
    monkeypatch.setattr(bot.core.stats, "utcnow", lambda: datetime(2026, 11, 25, 12, tzinfo=timezone.utc))
    client = signed_in(service, "admin@example.org")
    page = client.get("/dashboard?from=2026-11-01").text  # the excerpts' month does not follow the window
    rows = list(csv.DictReader(io.StringIO(client.get("/dashboard/barriers.csv").text)))
    assert rows and all(r["count"] == "" or int(r["count"]) >= service.settings.min_cell for r in rows)
    assert {r["month"] for r in rows} == {"October 2026"} and "What got in the way (October 2026)" in page
    for r in rows:
        assert (f"{r['label']} ({r['count']})" if r["count"] else f"{r['label']}</h3>") in page


def test_the_audit_log_is_for_admins_only(service, seeded):
    lead = signed_in(service, "safe@example.org")
    assert lead.get("/dashboard/audit").status_code == 403
    admin = signed_in(service, "admin@example.org")
    page = admin.get("/dashboard/audit")
    assert page.status_code == 200 and page.text.count("dashboard.sign_in") == 2
    assert TestClient(create_app(service)).get("/dashboard/audit", follow_redirects=False).status_code == 303
