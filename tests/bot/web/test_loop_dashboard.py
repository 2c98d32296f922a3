"""Closing-the-loop figures where leads read them: the dashboard page and CSV (same sign-in and scope),
the lead digest, `stats --loop`, and the impact export; small numbers suppressed in each."""

import asyncio
import csv
import io
import json

from sqlmodel import Session, select
from typer.testing import CliRunner

from bot.cli.main import app
from bot.compose import build_service
from bot.jobs.weekly import send_digests
from schedules.models import Person, Team
from tests.bot.jobs.test_weekly import messages
from tests.bot.web.test_dashboard import signed_in
from tests.conftest import utc
from tests.schedules.test_loop_stats import seed


def add_lead(service, email: str, access: str, team: str) -> None:
    with Session(service.engine) as session:
        row = session.exec(select(Team).where(Team.name == team)).one()
        session.add(
            Person(
                email=email,
                name="Lead",
                role="social-worker",
                team_id=row.id,
                agency=row.agency,
                access=access,
                created_at=utc(2026, 1, 1),
            )
        )
        session.commit()


def test_the_loop_page_shows_suppressed_figures_to_a_signed_in_lead_only(service):
    seed(service.engine, {"North": 12, "South": 10, "Tiny": 3})
    add_lead(service, "safe@example.org", "safeguarding_lead", "North")
    add_lead(service, "lead@example.org", "team_lead", "South")
    from fastapi.testclient import TestClient
    from bot.web.app import create_app

    anonymous = TestClient(create_app(service))
    assert anonymous.get("/dashboard/loop", follow_redirects=False).status_code == 303
    client = signed_in(service, "safe@example.org")
    page = client.get("/dashboard/loop?by=team")
    assert page.status_code == 200
    assert "Reply rate with the one reminder" in page.text and "Tried it and it helped" in page.text
    assert "Tiny" not in page.text  # a team's week of fewer than 5 people is left out of every figure
    rows = list(csv.DictReader(io.StringIO(client.get("/dashboard/loop/team.csv").text)))
    assert [r["key"] for r in rows] == ["North", "South", "total"] and next(r for r in rows if r["key"] == "North")[
        "delivered"
    ] in (
        "10",
        "15",
    )  # 12, rounded
    assert "/dashboard/loop" in client.get("/dashboard").text  # linked from the dashboard
    # a team lead sees only their own team
    lead = signed_in(service, "lead@example.org")
    rows = list(csv.DictReader(io.StringIO(lead.get("/dashboard/loop/team.csv").text)))
    assert [r["key"] for r in rows] == ["South", "total"]
    assert lead.get("/dashboard/loop?by=person").status_code == 422


def test_the_lead_digest_has_a_closing_the_loop_section(settings, smtp_server):
    service = build_service(settings.model_copy(update={"smtp_url": f"smtp://127.0.0.1:{smtp_server.port}"}))
    seed(service.engine, {"North": 12, "South": 10})
    add_lead(service, "safe@example.org", "safeguarding_lead", "North")
    asyncio.run(send_digests(service, utc(2026, 11, 30, 9)))  # Monday 09:00, the week after
    (mail,) = messages(smtp_server, "safe@example.org")
    text = mail.get_body(("plain",)).get_content()
    # figures are published rounded to a multiple of 5 (22 nudges, 13 commitments), as every digest figure
    assert "CLOSING THE LOOP" in text and "Reply rate without a reminder:" in text and "with the one reminder:" in text
    assert "Commitments to change: 10" in text or "Commitments to change: 15" in text
    assert "Closing the loop" in mail.get_body(("html",)).get_content()
    service.engine.dispose()


def test_stats_loop_and_the_impact_export(settings, monkeypatch):
    monkeypatch.setenv("LESSONLOOP_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("LESSONLOOP_ENV", "test")
    service = build_service(settings)
    lesson = service.lessons["seen-child-time-alone-went-well"]
    seed(service.engine, {"North": 12, "South": 10}, lesson.id)
    result = CliRunner().invoke(app, ["stats", "--loop", "--by", "team", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["total"]["followups_answered"] in (5, 10)  # 6, published rounded
    result = CliRunner().invoke(app, ["export", "impact", "--lesson", lesson.id])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert [r["lesson_id"] for r in rows] == [lesson.id, "all"]
    assert (
        rows[0]["lesson"] == lesson.title
        and rows[0]["source_review"] == "; ".join(lesson.citations())
        and "lines " not in rows[0]["source_review"]
    )
    # 22 reached, 13 commitments, 6 helped: each published as a multiple of 5 within 4 of the truth
    for column, truth in (("reached", 22), ("commitments", 13), ("helped", 6)):
        assert int(rows[0][column]) % 5 == 0 and abs(int(rows[0][column]) - truth) <= 4, column
    result = CliRunner().invoke(app, ["export", "impact", "--lesson", "no-such-lesson"])
    assert result.exit_code == 2 and "no lesson 'no-such-lesson'" in result.output
    result = CliRunner().invoke(app, ["export", "impact"])
    assert result.exit_code == 2 and "exactly one of --lesson or --theme" in result.output
    service.engine.dispose()
