"""Impact figures (issue 17): one row per impact question sent, counted by people for the threshold, published
through digests/disclosure.py like the follow-up figures, in the dashboard, `stats --impact`, `loop impact` and
the evidence export; kept apart from the follow-up figures."""

import csv
import io
import json
from datetime import timedelta

from sqlmodel import Session
from typer.testing import CliRunner

from bot.cli.main import app
from bot.core.loop_figures import impact_table
from digests.loop_tables import loop_dict
from schedules.models import Delivery, FollowUpAnswer, Person, Team
from schedules.statistics import Filter
from tests.bot.web.test_dashboard import signed_in
from tests.bot.web.test_loop_dashboard import add_lead
from tests.conftest import utc

ASKED = utc(2027, 3, 2, 10)
SCALE = ("a_lot", "a_little", "not_sure", "not_much", "not_at_all")


def seed(engine, teams: dict[str, tuple[int, int]], lesson_id: str = "seen-child") -> None:
    """Per team (people, months): each person is asked once a month for `months` months from March 2027 (3
    months after their answer, then 6 ...); person i answers all but the last month, on the scale by i, with a
    line when i is even."""
    with Session(engine) as session:
        for name, (size, months) in teams.items():
            team = Team(name=name, agency="Council")
            session.add(team)
            session.flush()
            for i in range(size):
                person = Person(email=f"{name}-{i}@example.org", name=f"P {i}", role="social-worker", team_id=team.id,
                                agency="Council", created_at=ASKED)  # fmt: skip
                session.add(person)
                session.flush()
                for m in range(months):
                    at = ASKED + timedelta(days=31 * m)
                    question = Delivery(person_id=person.id, kind="impact", period=f"i{at:%Y-%m}", months=(3, 6, 12, 24)[m],
                                        lesson_id=lesson_id, lesson_version="v1", role="social-worker", team_id=team.id,
                                        agency="Council", status="sent", due_at=at, sent_at=at, created_at=at)  # fmt: skip
                    session.add(question)
                    session.flush()
                    if m < months - 1 or months == 1:
                        session.add(FollowUpAnswer(delivery_id=question.id, person_id=person.id, lesson_id=lesson_id,
                                                   outcome=SCALE[i % 5], barrier="I ask now." if i % 2 == 0 else None,
                                                   created_at=at, updated_at=at))  # fmt: skip
        session.commit()


def cli(service, monkeypatch) -> CliRunner:
    monkeypatch.setenv("LESSONLOOP_DATABASE_URL", service.settings.database_url)
    monkeypatch.setenv("LESSONLOOP_ENV", "test")
    return CliRunner()


def lesson(service) -> str:
    return sorted(service.lessons)[0]


def test_small_groups_are_suppressed_by_people_not_by_questions(service):
    seed(service.engine, {"North": (12, 1), "Tiny": (3, 4)})  # Tiny: 12 questions, but only 3 people
    with Session(service.engine) as session:
        table = loop_dict(impact_table(service, session, by="team", where=Filter()))
    rows = {r["key"]: r for r in table["rows"]}
    assert "Tiny" not in rows  # a team-month of fewer than 5 people is left out of every figure
    north = rows["North"]
    assert north["asked"] in (10, 15) and north["answered"] in (10, 15)  # 12, rounded from the cell key
    assert all(north[m] in (0, 5) for m in SCALE)  # 2 or 3 each, rounded
    assert table["total"]["asked"] in (10, 15)  # North's 12 alone: Tiny's are in no figure


def test_by_interval_theme_and_month_and_an_unknown_dimension_is_refused(service, monkeypatch):
    seed(service.engine, {"North": (12, 3)}, lesson(service))
    with Session(service.engine) as session:
        by_months = loop_dict(impact_table(service, session, by="months", where=Filter()))
        by_month = loop_dict(impact_table(service, session, by="week", where=Filter()))
        by_theme = loop_dict(impact_table(service, session, by="theme", where=Filter()))
    assert [r["label"] for r in by_months["rows"]] == ["3 months", "6 months", "12 months"]
    assert [r["key"] for r in by_month["rows"]] == ["2027-03", "2027-04", "2027-05"]
    assert by_month["rows"][2]["answered"] == 0  # the last month was not answered
    assert [r["key"] for r in by_theme["rows"]] == [service.lessons[lesson(service)].primary_theme]
    result = cli(service, monkeypatch).invoke(app, ["loop", "impact", "--by", "colour"])
    assert result.exit_code != 0 and "--by must be one of" in result.output


def test_stats_dashboard_and_evidence_show_the_same_suppressed_figures(service, monkeypatch):
    seed(service.engine, {"North": (12, 1), "Tiny": (3, 1)}, lesson(service))
    result = cli(service, monkeypatch).invoke(app, ["stats", "--impact", "--by", "team", "--json"])
    assert result.exit_code == 0, result.output
    rows = {r["key"]: r for r in json.loads(result.output)["rows"]}
    assert "Tiny" not in rows and rows["North"]["asked"] in (10, 15)
    text = cli(service, monkeypatch).invoke(app, ["loop", "impact", "--by", "team"]).output
    assert "Tiny" not in text and "North" in text and "a lot" in text
    add_lead(service, "safe@example.org", "safeguarding_lead", "North")
    client = signed_in(service, "safe@example.org")
    page = client.get("/dashboard/loop?by=team")
    assert page.status_code == 200 and "Impact at 3, 6 and 12 months" in page.text and 'id="table-impact"' in page.text
    csv_rows = list(csv.DictReader(io.StringIO(client.get("/dashboard/impact/team.csv").text)))
    assert [r["key"] for r in csv_rows] == ["North", "total"]
    evidence = cli(service, monkeypatch).invoke(app, ["export", "evidence", "--lesson", lesson(service)])
    assert evidence.exit_code == 0, evidence.output
    impact = [r for r in csv.DictReader(io.StringIO(evidence.output)) if r["record"].startswith("impact")]
    assert [(r["record"], r["quarter"], r["agency"]) for r in impact] == [
        ("impact", "2027-Q1", "Council"),
        ("impact total", "", ""),
    ]
    assert impact[0]["impact_asked"] in ("10", "15")  # North's 12 questions, rounded; Tiny's left out


def test_a_group_too_small_is_left_out_of_the_evidence(service, monkeypatch):
    seed(service.engine, {"Tiny": (3, 1)}, lesson(service))
    evidence = cli(service, monkeypatch).invoke(app, ["export", "evidence", "--lesson", lesson(service)])
    assert evidence.exit_code == 0 and not [
        r for r in csv.DictReader(io.StringIO(evidence.output)) if r["record"].startswith("impact")
    ]
