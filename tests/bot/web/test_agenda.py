"""Agenda items: the theme chooser, the stored weekly choice, the signed page, team settings and the CLI."""

import re

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select
from typer.testing import CliRunner

from bot.core.agenda import published_theme_figures as agenda_figures, agenda_link, current_agenda
from bot.web.app import create_app
from bot.cli.main import app
from bot.core.stats import stats_table
from digests.agenda_render import agenda_text
from digests.theme_choice import ThemeFigures, choose_theme
from schedules.models import AgendaRecord, Team
from schedules.statistics import Filter
from tests.helpers import add_people
from tests.seed_history import seed_history


def published(service):
    return [l for l in service.lessons.values() if l.status == "published"]


def test_recent_themes_are_skipped(service):
    lessons = published(service)
    first = choose_theme(
        team_id=1, week="2026-W40", lessons=lessons, roles=set(), recent_themes=[], used_lessons=set(), figures={}, min_cell=5
    )
    again = choose_theme(
        team_id=1,
        week="2026-W41",
        lessons=lessons,
        roles=set(),
        recent_themes=[first.theme_id],
        used_lessons=set(),
        figures={},
        min_cell=5,
    )
    assert again.theme_id != first.theme_id


def test_little_practice_change_and_wrong_answers_pull_a_theme_forward(service):
    lessons = published(service)
    poor = ThemeFigures(answered=20, not_yet=16, checked=20, correct=4)
    for week in range(1, 20):
        choice = choose_theme(
            team_id=3,
            week=f"2026-W{week:02d}",
            lessons=lessons,
            roles=set(),
            recent_themes=[],
            used_lessons=set(),
            figures={"neglect": poor},
            min_cell=5,
        )
        assert choice.theme_id == "neglect"


def test_too_few_replies_do_not_weigh(service):
    lessons = published(service)
    few = ThemeFigures(answered=3, not_yet=3, checked=3, correct=0)
    picks = {
        choose_theme(
            team_id=3,
            week=f"2026-W{w:02d}",
            lessons=lessons,
            roles=set(),
            recent_themes=[],
            used_lessons=set(),
            figures={"neglect": few},
            min_cell=5,
        ).theme_id
        for w in range(1, 20)
    }
    assert len(picks) > 1


def test_a_new_local_lesson_is_preferred(service):
    from dataclasses import replace

    lessons = published(service)
    local = replace(next(l for l in lessons if l.primary_theme == "record-keeping"), id="local-records", local=True)
    choice = choose_theme(
        team_id=9,
        week="2026-W10",
        lessons=[*lessons, local],
        roles=set(),
        recent_themes=[],
        used_lessons=set(),
        figures={},
        min_cell=5,
    )
    assert choice.theme_id == "record-keeping" and choice.lesson.id == "local-records"


def test_seeded_team_gets_its_weak_theme_and_its_figures(service):
    seeded = seed_history(service.engine, list(service.lessons.values()), teams=2, per_team=30, weeks=12)
    with Session(service.engine) as session:
        team_id = seeded.team_ids["Team 1"]
        item = current_agenda(service, session, team_id=team_id, week="2026-W48")
        by_theme = stats_table(service, session, by="theme", where=Filter(team_id=team_id))
        again = current_agenda(service, session, team_id=team_id, week="2026-W48")
        seen_by_chooser = agenda_figures(service, session, team_id)
    assert again == item  # stored: every pull shows the same item
    # The chooser weighs exactly what the lead's own theme table shows (rounded, pooled), nothing raw, so
    # the choice tells the lead nothing the dashboard does not (issue 14).
    published = {r.key: r.counts for r in by_theme.rows if r.counts["answered"] is not None}
    assert seen_by_chooser and {k: (f.answered, f.not_yet, f.checked, f.correct) for k, f in seen_by_chooser.items()} == {
        k: (c["answered"], c["not_yet"], c["checked"], c["correct"]) for k, c in published.items()
    }
    row = next((r for r in by_theme.rows if r.key == item.theme_id), None)
    if row is None or (row.counts["answered"] or 0) < service.settings.min_cell:
        assert item.figures == {}
    else:
        assert item.figures["replies"] == row.counts["answered"]
    assert len(item.questions) in (2, 3) and item.team_action and item.sources
    text = agenda_text(item, "txt")
    assert len(text.split()) < 500  # one page


@pytest.fixture
def team(service):
    add_people(
        service.engine,
        [
            "lead@example.org,Lee,social-worker,Blue,North,Europe/London,Tuesday,10:00",
            "sam@example.org,Sam,teacher,Blue,North,Europe/London,Tuesday,10:00",
        ],
    )
    with Session(service.engine) as session:
        return session.exec(select(Team).where(Team.name == "Blue")).one().id


def test_agenda_page_records_discussed_and_the_action(service, team):
    client = TestClient(create_app(service))
    link = agenda_link(service, team, "2026-W48").removeprefix("http://testserver")
    page = client.get(link)
    assert page.status_code == 200 and "do not include details that identify a child or family" in page.text
    with Session(service.engine) as session:
        assert session.exec(select(AgendaRecord)).all() == []  # a GET writes nothing, not even the choice
    assert client.get(link).text == page.text  # and shows the same item each time
    saved = client.post(link, data={"discussed": "yes", "action_agreed": "Check who else lives at the home"})
    assert "Recorded as discussed" in saved.text
    with Session(service.engine) as session:
        record = session.exec(select(AgendaRecord)).one()
        assert record.discussed_at is not None and record.action_agreed == "Check who else lives at the home"
        discussed = stats_table(service, session, by="team", where=Filter())
    assert discussed.total.discussed == 1


def test_agenda_page_refuses_a_bad_token_and_week(service, team):
    client = TestClient(create_app(service))
    link = agenda_link(service, team, "2026-W48").removeprefix("http://testserver")
    path, query = link.split("?")
    assert client.get(f"{path[:-4]}xxxx?{query}").status_code == 400
    bad_week = client.get(link.replace("2026-W48", "2026-48"))
    assert bad_week.status_code == 400 and "ISO week" in bad_week.text


def test_the_week_is_part_of_the_signed_link(service, team):
    client = TestClient(create_app(service))
    link = agenda_link(service, team, "2026-W48").removeprefix("http://testserver")
    other_week = link.replace("2026-W48", "2026-W47")
    assert client.get(other_week).status_code == 400
    assert client.post(other_week, data={"discussed": "yes"}).status_code == 400
    assert client.get(link.split("?")[0]).status_code == 400  # no week: not a link we sent
    with Session(service.engine) as session:
        assert session.exec(select(AgendaRecord)).all() == []


def test_agenda_action_counted_as_the_browser_does_and_kept_on_error(service, team):
    client = TestClient(create_app(service))
    link = agenda_link(service, team, "2026-W48").removeprefix("http://testserver")
    allowed = "\r\n".join(["Check the plan"] * 33)  # 494 characters in the browser, 526 as sent
    assert client.post(link, data={"discussed": "yes", "action_agreed": allowed}).status_code == 200
    with Session(service.engine) as session:
        assert session.exec(select(AgendaRecord)).one().action_agreed == allowed.replace("\r\n", "\n")
    too_long = "Visit again.\r\n" + "y" * 600
    response = client.post(link, data={"discussed": "yes", "action_agreed": too_long})
    assert response.status_code == 422 and "y" * 600 in response.text and "the limit is 500" in response.text


def cli(service, monkeypatch, *args):
    monkeypatch.setenv("LESSONLOOP_DATABASE_URL", service.settings.database_url)
    monkeypatch.setenv("LESSONLOOP_ENV", "test")
    return CliRunner().invoke(app, list(args))


def test_team_set_checks_each_field(service, team, monkeypatch):
    assert "--meeting-time" in cli(service, monkeypatch, "team", "set", "Blue", "--meeting-time", "25:00").output
    assert "--meeting-day" in cli(service, monkeypatch, "team", "set", "Blue", "--meeting-day", "Caturday").output
    refused = cli(service, monkeypatch, "team", "set", "Blue", "--lead", "lead@example.org")
    assert refused.exit_code == 2 and "access team_lead" in refused.output
    assert "no team named" in cli(service, monkeypatch, "team", "set", "Green").output
    ok = cli(service, monkeypatch, "team", "set", "Blue", "--meeting-day", "thu", "--meeting-time", "09:30")
    assert ok.exit_code == 0 and "Thursday 09:30" in ok.output


def test_agenda_command_prints_each_format(service, team, monkeypatch):
    md = cli(service, monkeypatch, "agenda", "--team", "Blue", "--week", "2026-W48", "--format", "md").output
    html = cli(service, monkeypatch, "agenda", "--team", "Blue", "--week", "2026-W48", "--format", "html").output
    txt = cli(service, monkeypatch, "agenda", "--team", "Blue", "--week", "2026-W48", "--format", "txt").output
    assert md.startswith("# Team agenda item") and "<h1>Team agenda item" in html and "TEAM AGENDA ITEM" in txt
    title = re.search(r"^## (.+)$", md, re.M).group(1)
    assert title in html and title.upper() in txt
    assert "--format" in cli(service, monkeypatch, "agenda", "--team", "Blue", "--format", "pdf").output


def test_markdown_in_a_team_name_stays_text_on_the_agenda_page(service, team):
    with Session(service.engine) as session:
        row = session.get(Team, team)
        row.name = "[Pay here](http://evil.example) & # Blue_team"
        session.add(row)
        session.commit()
    link = agenda_link(service, team, "2026-W48").removeprefix("http://testserver")
    page = TestClient(create_app(service)).get(link)
    assert page.status_code == 200 and 'href="http://evil.example"' not in page.text
    assert "[Pay here](http://evil.example) &amp; # Blue_team" in page.text
