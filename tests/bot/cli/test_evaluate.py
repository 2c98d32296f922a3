"""`lessonloop evaluate plan|report` against a real database: the plan is recorded once (re-planning needs
--replace), bad options are named, and the report finds an effect planted in simulated check-in answers,
none where none was planted, and says "too little data" when there is too little."""

import json
import random
from datetime import date, timedelta

import pytest
from sqlmodel import Session, select
from typer.testing import CliRunner

from bot.cli.main import app
from bot.compose import build_service
from schedules.evaluation import WaveAssignment
from schedules.models import Delivery, Reply, RolloutWave, Team
from schedules.rollout import checkin_period
from schedules.rollout_store import rollout, save_plan
from tests.conftest import utc

THEME = "everyones-business"


@pytest.fixture
def service(settings, monkeypatch):
    monkeypatch.setenv("LESSONLOOP_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("LESSONLOOP_ENV", "test")
    service = build_service(settings)
    yield service
    service.engine.dispose()


def teams(service, n: int) -> list[int]:
    with Session(service.engine) as session:
        rows = [Team(name=f"T{i}", agency=["Council", "NHS"][i % 2]) for i in range(n)]
        session.add_all(rows)
        session.commit()
        return [t.id for t in rows]


def run(*args: str):
    return CliRunner().invoke(app, ["evaluate", *args])


def test_plan_records_the_waves_once_and_refuses_to_plan_again_without_replace(service):
    teams(service, 6)
    result = run("plan", "--waves", "3", "--start", "2027-01-04", "--every", "4", "--seed", "7", "--themes", THEME)
    assert result.exit_code == 0, result.output
    with Session(service.engine) as session:
        rows = list(session.exec(select(RolloutWave)))
    assert len(rows) == 6 and sorted(r.wave for r in rows) == [1, 1, 2, 2, 3, 3]
    assert {r.starts_on for r in rows} == {date(2027, 1, 4), date(2027, 2, 1), date(2027, 3, 1)}
    assert {(r.seed, r.every_weeks, r.themes) for r in rows} == {(7, 4, THEME)}
    for agency in ("Council", "NHS"):  # stratified: each agency spread over the waves
        assert {r.wave for r in rows if r.agency == agency} == {1, 2, 3}
    again = run("plan", "--waves", "2", "--start", "2027-01-04", "--every", "4")
    assert again.exit_code == 2 and "--replace" in again.output
    with Session(service.engine) as session:
        assert sorted(r.wave for r in session.exec(select(RolloutWave))) == [1, 1, 2, 2, 3, 3]  # untouched
    replaced = run("plan", "--waves", "2", "--start", "2027-01-04", "--every", "4", "--seed", "7", "--themes", THEME, "--replace")
    assert replaced.exit_code == 0, replaced.output
    with Session(service.engine) as session:
        assert sorted(r.wave for r in session.exec(select(RolloutWave))) == [1, 1, 1, 2, 2, 2]


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--waves", "1", "--start", "2027-01-04", "--every", "4"], "--waves"),
        (["--waves", "2", "--start", "4 Jan", "--every", "4"], "--start"),
        (["--waves", "2", "--start", "2027-01-04", "--every", "0"], "--every"),
        (["--waves", "9", "--start", "2027-01-04", "--every", "4"], "--waves"),
        (["--waves", "2", "--start", "2027-01-04", "--every", "4", "--themes", "no-such-theme"], "--themes"),
    ],
)
def test_bad_options_are_named(service, args, named):
    teams(service, 4)
    result = run("plan", *args)
    assert result.exit_code == 2 and named in result.output, result.output


def test_report_says_too_little_data_on_an_almost_empty_database(service):
    assert run("report").exit_code == 2  # no plan yet: says how to make one
    teams(service, 4)
    assert run("plan", "--waves", "2", "--start", "2027-01-04", "--every", "4", "--themes", THEME).exit_code == 0
    result = run("report")
    assert result.exit_code == 0 and "Too little data to conclude anything" in result.output
    data = json.loads(run("report", "--json").output)
    assert data["conclusive"] is False and all(m["effect"] is None for m in data["measures"])


def seed_answers(service, *, effect: float, rng: random.Random, n_teams: int = 16, people: int = 8) -> None:
    """Simulated check-in answers, each team with its own level, a small trend, and `effect` once started."""
    ids = teams(service, n_teams)
    lesson = next(l for l in service.lessons.values() if l.primary_theme == THEME)
    with Session(service.engine) as session:
        plan = [
            WaveAssignment(t, "Council", i % 4 + 1, date(2027, 1, 4) + timedelta(weeks=4 * (i % 4))) for i, t in enumerate(ids)
        ]
        save_plan(session, plan, seed=1, every_weeks=4, themes=(THEME,), now=utc(2027, 1, 1))
        staged = rollout(session)
        assert staged is not None
        for a in plan:
            base = rng.gauss(0.45, 0.06)
            for step, day in enumerate(staged.step_days()):
                p = base + 0.02 * step + (effect if staged.started_by(a.team_id, day) else 0.0)
                for _ in range(people):
                    d = Delivery(
                        kind="checkin",
                        period=checkin_period(step, 0),
                        lesson_id=lesson.id,
                        lesson_version=lesson.version,
                        team_id=a.team_id,
                        status="sent",
                        due_at=utc(2027, 1, 4),
                        created_at=utc(2027, 1, 4),
                    )
                    session.add(d)
                    session.flush()
                    right = rng.random() < p
                    session.add(
                        Reply(
                            delivery_id=d.id,
                            lesson_id=lesson.id,
                            lesson_version=lesson.version,
                            check_answer=1,
                            check_correct=right,
                            practice="changed" if rng.random() < p - 0.2 else "already",
                            created_at=utc(2027, 1, 4),
                            updated_at=utc(2027, 1, 4),
                        )
                    )
        session.commit()


@pytest.mark.parametrize(("effect", "verdict"), [(0.25, "did better"), (0.0, "No clear difference")])
def test_report_finds_a_planted_effect_and_none_where_none_was_planted(service, effect, verdict):
    seed_answers(service, effect=effect, rng=random.Random(21 if effect else 22))
    data = json.loads(run("report", "--json").output)
    knowledge = next(m for m in data["measures"] if m["measure"] == f"knowledge:{THEME}")
    assert verdict in knowledge["verdict"], knowledge
    if effect:
        assert 0 < knowledge["low"] < effect < knowledge["high"]
    else:
        assert knowledge["low"] < 0 < knowledge["high"]
    assert knowledge["team_periods_left_out"] == 0 and data["conclusive"] is True
    text = run("report").output
    assert "First-time knowledge check" in text and verdict in text
