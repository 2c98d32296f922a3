"""Practice moments from the email pages: anonymous, thanked, and shown to leads only as suppressed counts
by factor, theme, outcome and period, with excerpts only for a group written by at least k people."""

import json

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select
from typer.testing import CliRunner

from bot.cli.main import app as cli
from bot.web.app import create_app
from schedules.voice_models import PracticeMoment
from tests.bot.web.voice_helpers import lead_client, reply_path, send_nudges

PEOPLE = [f"p{n}@example.org" for n in range(7)]


@pytest.fixture
def logged(service):
    send_nudges(
        service, [f"{email},Person {n},social-worker,Team,Agency,Europe/London,Tuesday,10:00" for n, email in enumerate(PEOPLE)]
    )
    client = TestClient(create_app(service))
    for n, email in enumerate(PEOPLE):
        path = reply_path(service, email)
        factors = ["handover"] + (["workload"] if n < 2 else [])  # handover: 7 people; workload: 2
        page = client.post(
            f"{path}/moment",
            data={
                "outcome": "near_miss" if n % 2 else "went_well",
                "factors": factors,
                "what_happened": f"Handover {n} nearly lost a visit, Ann noticed.",
                "what_helped": "A shared list.",
            },
        )
        assert page.status_code == 200 and "never used to judge anyone" in page.text
    return client


def test_a_moment_is_stored_without_the_writer(service, logged):
    with Session(service.engine) as session:
        moments = session.exec(select(PracticeMoment)).all()
    assert len(moments) == 7 and len({m.writer for m in moments}) == 7
    assert all("Ann" not in m.what_happened and "[name removed]" in m.what_happened for m in moments)  # as a reflection
    stored = json.dumps([m.model_dump(mode="json") for m in moments])
    assert "p0@example.org" not in stored and "Person 0" not in stored and "person_id" not in stored


def test_a_bad_moment_comes_back_with_the_text(service):
    send_nudges(service, ["a@example.org,A B,teacher,T,Agency,Europe/London,Tuesday,10:00"])
    client = TestClient(create_app(service))
    bad = client.post(f"{reply_path(service, 'a@example.org')}/moment", data={"outcome": "meh", "what_happened": "Kept words"})
    assert bad.status_code == 422 and "outcome" in bad.text and "Kept words" in bad.text


def test_leads_see_suppressed_counts_and_excerpts_only_for_k_people(service, logged):
    page = lead_client(service, "safe@example.org", "safeguarding_lead").get("/dashboard/moments").text
    # 7 writers in one team's month: all name handover, 2 also workload. Workload alone (2 writers) would be
    # a piece of 2, and handover beside it would leave it as the remainder, so both count under "other"
    # (digests/disclosure.py): 9 factor tags, rounded to a multiple of 5 by their cell key.
    assert "<td>Handover</td>" not in page and "<td>Workload</td>" not in page
    assert "Other (fewer than 5 writers in a team&#39;s month)</td><td>10</td>" in page or "month)</td><td>5</td>" in page
    assert "Ann" not in page  # excerpts only under "No theme given" (7 writers), names removed
    other = lead_client(service, "other@example.org", "safeguarding_lead", agency="Elsewhere").get("/dashboard/moments").text
    assert "<td>Handover</td>" not in other and "A shared list." not in other


def test_cli_moments_json_agrees(service, logged, monkeypatch):
    monkeypatch.setenv("LESSONLOOP_DATABASE_URL", service.settings.database_url)
    monkeypatch.setenv("LESSONLOOP_ENV", "test")
    monkeypatch.setenv("LESSONLOOP_SECRET_KEY", "test-secret-key")
    result = CliRunner().invoke(cli, ["moments", "--by", "outcome", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    by_key = {row["key"]: row for row in data["rows"]}
    # 4 went well and 3 nearly went wrong: both under 5 writers, so one "other" row; the total (7) rounded
    assert set(by_key) == {"other"} and by_key["other"]["moments"] == data["total"]["moments"]
    assert data["total"]["moments"] in (5, 10) and data["excerpts"] == []
    factor = json.loads(CliRunner().invoke(cli, ["moments", "--json"]).stdout)
    assert [r["key"] for r in factor["rows"]] == ["other"] and factor["excerpts"] == []
    assert CliRunner().invoke(cli, ["moments", "--by", "person"]).exit_code == 2
