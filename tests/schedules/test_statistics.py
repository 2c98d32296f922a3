"""Statistics over a seeded history: suppression in every view, and CSV, JSON and the CLI agreeing."""

import csv
import io
import json
from datetime import timedelta

import pytest
from sqlmodel import Session
from typer.testing import CliRunner

from bot.cli.main import app
from bot.core.stats import barriers, stats_table
from digests.disclosure import OTHER
from digests.statistics import as_dict
from schedules.statistics import MEASURES, Filter
from tests.seed_history import seed_history


@pytest.fixture
def history(service):
    return seed_history(service.engine, list(service.lessons.values()), teams=4, per_team=12, weeks=12)


def table(service, by, **where):
    with Session(service.engine) as session:
        return stats_table(service, session, by=by, where=Filter(**where))


def test_totals_are_the_seeded_rows_rounded_to_5(service, history):
    total = table(service, "team").total
    assert abs(total.counts["delivered"] - 4 * 12 * 12) < 5 and total.counts["delivered"] % 5 == 0
    assert 0 < total.counts["replied"] < total.counts["delivered"]
    parts = sum(total.counts[p] for p in ("changed", "already", "not_yet", "not_relevant"))
    assert abs(parts - total.counts["answered"]) <= 4 * 4  # each figure rounded on its own


@pytest.mark.parametrize("by", ["theme", "role", "team", "agency", "week"])
def test_no_shown_cell_counts_fewer_than_min_cell(service, history, by):
    t = table(service, by)
    for row in (*t.rows, t.total):
        for name in MEASURES:
            value = row.counts[name]
            assert value is None or value == 0 or value >= service.settings.min_cell


def test_a_suppressed_team_cell_cannot_be_recovered_from_the_total(service, history):
    t = table(service, "theme")
    for c in MEASURES:
        column = [row.counts[c] for row in t.rows]
        hidden = sum(v is None for v in column) + (t.total.counts[c] is None)
        assert hidden != 1, c


def test_csv_json_and_cli_agree(service, history, monkeypatch):
    monkeypatch.setenv("LESSONLOOP_DATABASE_URL", service.settings.database_url)
    monkeypatch.setenv("LESSONLOOP_ENV", "test")
    runner = CliRunner()
    from_json = json.loads(runner.invoke(app, ["stats", "--by", "theme", "--json"]).output)
    from_csv = list(csv.DictReader(io.StringIO(runner.invoke(app, ["stats", "--by", "theme", "--csv"]).output)))
    expected = as_dict(table(service, "theme"))
    assert from_json["rows"] == expected["rows"]
    assert len(from_csv) == len(expected["rows"]) + 1
    for row, json_row in zip(from_csv, [*expected["rows"], expected["total"]]):
        for name in MEASURES:
            assert row[name] == str(json_row[name])
    text = runner.invoke(app, ["stats", "--by", "week"]).output
    assert "reply rate, last 4 weeks vs first 4" in text


def test_fatigue_shows_replies_dropping(service, history):
    data = as_dict(table(service, "week"))
    assert data["fatigue_points"] is not None and data["fatigue_points"] < 0


def test_a_small_scope_is_fully_suppressed(service, history):
    t = table(service, "role", team_id=history.team_ids["Team 1"])  # 12 people spread over 5 roles
    # No role has 5 people in a week: every role is pooled into one "other" row, whose figures are the team's.
    assert [row.key for row in t.rows] == [OTHER] and t.rows[0].counts == t.total.counts


def test_barriers_are_counted_and_scrubbed(service):
    seeded = seed_history(service.engine, list(service.lessons.values()), teams=4, per_team=40, weeks=12)
    with Session(service.engine) as session:
        found = barriers(service, session, where=Filter(), today=seeded.first_day + timedelta(weeks=12))
        for start, end in (
            (seeded.first_day, seeded.first_day + timedelta(days=6)),
            (None, seeded.first_day + timedelta(weeks=9)),
        ):
            moved = barriers(service, session, where=Filter(start, end), today=seeded.first_day + timedelta(weeks=12))
            assert moved == found  # the month is fixed: no window chooses the slice
    # A count is shown only from safe pieces (else None); excerpts need min_cell distinct writers either way.
    assert found and all(b.count is None or (b.count >= service.settings.min_cell and b.count % 5 == 0) for b in found)
    assert {b.period for b in found} == {"October 2026"}
    excerpts = " ".join(e for b in found for e in b.excerpts)
    assert excerpts and "Smith" not in excerpts


def test_bad_dimension_names_the_option(service, history, monkeypatch):
    monkeypatch.setenv("LESSONLOOP_DATABASE_URL", service.settings.database_url)
    monkeypatch.setenv("LESSONLOOP_ENV", "test")
    result = CliRunner().invoke(app, ["stats", "--by", "person"])
    assert result.exit_code == 2 and "--by must be one of" in result.output


def test_scrub_removes_personal_details():
    from digests.barriers import scrub

    text = scrub("Spoke to Mrs Jones at 12 High St, LS1 4AB, on 03/11/2026; call 07700 900123 or a.b@c.org. Then Kayden said no.")
    for leaked in ("Jones", "LS1 4AB", "03/11/2026", "07700", "a.b@c.org", "Kayden"):
        assert leaked not in text
    assert scrub("I called the GP on Monday.") == "I called the GP on Monday."


@pytest.mark.parametrize("limit", [3, 20, 1000])
def test_barrier_samples_are_the_months_newest_barrier_reflections(service, history, limit):
    """Whatever way a database reads them (SQLite: one query a week), the sample is the month's newest
    `limit` barrier reflections in the scope, by delivery, newest first."""
    from sqlmodel import select

    from bot.core.stats import theme_map
    from schedules.models import Delivery, Reply
    from schedules.rollup import BARRIER_WORDS
    from schedules.statistics import barrier_samples
    from schedules.windows import month_span

    start, end = month_span(2026, 10)
    themes = theme_map(service)
    with Session(service.engine) as session:
        rows = session.exec(select(Delivery, Reply).join(Reply, Reply.delivery_id == Delivery.id)).all()
        for where in (
            Filter(start, end),
            Filter(start, end, agency="Agency 1"),
            Filter(start, end, team_id=history.team_ids["Team 2"]),
        ):
            expected = sorted(
                (
                    (d.id, themes.get(d.lesson_id, "other"), d.person_id or 0, r.reflection)
                    for d, r in rows
                    if str(start) <= str(d.due_at.date()) <= str(end)
                    and where.agency in (None, d.agency)
                    and where.team_id in (None, d.team_id)
                    and r.reflection
                    and (r.practice == "not_yet" or any(word in r.reflection.lower() for word in BARRIER_WORDS))
                ),
                reverse=True,
            )[:limit]
            assert expected, "the seeded month has barrier reflections"
            got = barrier_samples(session, where=where, theme_of=themes, limit=limit)
            assert got == [(theme, writer, text) for _, theme, writer, text in expected]
