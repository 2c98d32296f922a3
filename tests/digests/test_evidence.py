"""`lessonloop export evidence`: by quarter and agency, rounded counts, no labels of small groups, agenda items."""

import csv
import io

from sqlalchemy import update
from sqlmodel import Session, col, select
from typer.testing import CliRunner

from bot.core.agenda import current_agenda, record_discussion
from bot.cli.main import app
from schedules.models import AgendaRecord, Delivery
from schedules.rollup import mark_stale
from tests.seed_history import seed_history


def run(service, monkeypatch, *args):
    monkeypatch.setenv("LESSONLOOP_DATABASE_URL", service.settings.database_url)
    monkeypatch.setenv("LESSONLOOP_ENV", "test")
    return CliRunner().invoke(app, ["export", "evidence", *args])


def test_theme_evidence_lists_nudges_suppressed_and_discussed_agendas(service, monkeypatch):
    seeded = seed_history(service.engine, list(service.lessons.values()), teams=2, per_team=30, weeks=12)
    with Session(service.engine) as session:
        item = current_agenda(service, session, team_id=seeded.team_ids["Team 1"], week="2026-W48")
        record_discussion(session, session.exec(select(AgendaRecord)).one(), discussed=True, action="Ask who else lives there")
        # Half the nudges on one lesson of that theme: a theme is its own piece only where 5 or more people
        # in a team-week had it (digests/disclosure.py), which random lessons for 30 people rarely give.
        lesson = next(l for l in sorted(service.lessons.values(), key=lambda l: l.id) if l.primary_theme == item.theme_id)
        session.execute(update(Delivery).where(col(Delivery.id) % 2 == 0).values(lesson_id=lesson.id))
        session.commit()
        mark_stale(session)
    result = run(service, monkeypatch, "--theme", item.theme_id)
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.output)))
    nudges = [r for r in rows if r["record"] == "nudges"]
    assert nudges and {r["agency"] for r in nudges} <= {"Agency 1", "Agency 2"} and {r["team"] for r in nudges} == {""}
    assert {r["quarter"] for r in nudges} <= {"2026-Q3", "2026-Q4"}  # no weeks, no lessons, no roles
    assert "suppressed" not in result.output  # a group too small is left out, label and all
    for r in nudges:
        for name in ("delivered", "replied", "changed", "not_yet"):
            assert int(r[name]) % 5 == 0
    total = next(r for r in rows if r["record"] == "total")
    assert int(total["delivered"]) % 5 == 0 and int(total["delivered"]) > 0
    (agenda,) = [r for r in rows if r["record"] == "team agenda"]
    assert agenda["team"] == "Team 1" and agenda["agenda_discussed"] == "yes" and "Ask who" not in result.output
    assert agenda["quarter"] == "2026-Q4"


def test_evidence_needs_exactly_one_known_target(service, monkeypatch):
    assert "exactly one" in run(service, monkeypatch).output
    assert "no lesson 'nope'" in run(service, monkeypatch, "--lesson", "nope").output


def test_a_bar_in_an_agency_name_keeps_the_evidence_columns(service, monkeypatch):
    """Names are data: "|" (the key separator) and quotes in an agency name stay in their own column."""
    seeded = seed_history(service.engine, list(service.lessons.values()), teams=1, per_team=30, weeks=4)
    with Session(service.engine) as session:
        # One lesson for the whole team each week: a theme is its own piece only where 5 or more people in a
        # team-week had it (digests/disclosure.py), which random lessons for 30 people rarely give.
        lesson = min(service.lessons.values(), key=lambda l: l.id)
        session.execute(update(Delivery).values(agency='Early Help | Family, "North"', lesson_id=lesson.id))
        session.commit()
        current_agenda(service, session, team_id=seeded.team_ids["Team 1"], week="2026-W48")
    result = run(service, monkeypatch, "--theme", lesson.primary_theme)
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.output)))
    nudges = [r for r in rows if r["record"] == "nudges"]
    assert nudges and {r["agency"] for r in nudges} == {'Early Help | Family, "North"'}
    assert {len(r) for r in rows} == {len(rows[0])} and all(r["quarter"].startswith("20") for r in nudges)
