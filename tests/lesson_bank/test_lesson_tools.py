"""Coverage, quotas, local lessons, `lessons new` and author feedback."""
import asyncio
import json
import re
from datetime import date
from email import message_from_bytes, policy

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from bot.web.app import create_app
from bot.cli.main import app
from bot.core.content import load_bank
from bot.jobs.dispatcher import dispatch_due
from bot.jobs.planning import run_planning
from lesson_bank import BUNDLED_LESSONS
from lesson_bank.bank import load_lessons
from lesson_bank.quotas import quota_gaps
from lesson_bank.readability import flesch_reading_ease
from lesson_bank.taxonomy import load_taxonomy
from tests.conftest import utc
from tests.helpers import add_people, write
from tests.lesson_bank.test_lesson_bank import GOOD

runner = CliRunner()


def test_bundled_bank_meets_every_coverage_target():
    lessons = load_lessons([(BUNDLED_LESSONS, False)], date(2026, 11, 23)).lessons
    assert quota_gaps(lessons, load_taxonomy()) == []
    result = runner.invoke(app, ["lessons", "coverage", "--json"])
    assert result.exit_code == 0 and json.loads(result.stdout)["gaps"] == []


def test_quota_gaps_name_what_is_missing():
    lessons = load_lessons([(BUNDLED_LESSONS, False)], date(2026, 11, 23)).lessons
    without_fii = tuple(l for l in lessons if "fabricated-illness" not in l.themes)
    gaps = quota_gaps(without_fii, load_taxonomy())
    assert any("theme 'fabricated-illness' has 0 lessons" in g for g in gaps)


def test_reading_ease_separates_plain_from_dense_text():
    plain = "Ask the child what a normal day is like. Write down what they say. Share it with your lead."
    dense = "Interprofessional safeguarding arrangements necessitate comprehensive multidisciplinary information exchange protocols."
    assert flesch_reading_ease(plain) > 70 > 20 > flesch_reading_ease(dense)


def test_local_lessons_load_alongside_bundled_and_new_writes_a_draft(tmp_path, monkeypatch, settings):
    local = tmp_path / "local"
    monkeypatch.setenv("LESSONLOOP_LOCAL_LESSONS", str(local))
    result = runner.invoke(app, ["lessons", "new", "--theme", "hidden-men", "--slug", "stepdad-at-work"])
    assert result.exit_code == 0, result.output
    draft = local / "hidden-men-stepdad-at-work.md"
    assert draft.exists() and "status: draft" in draft.read_text()
    lint = runner.invoke(app, ["lessons", "lint", str(local)])
    assert lint.exit_code == 1 and f"{draft}:" in lint.output  # the template must be filled in first
    write(local / "local-case.md", GOOD.format(id="local-case").replace("review_by:", "publish_after: 2027-03-01\nreview_by:"))
    draft.unlink()
    bank = load_bank(settings.model_copy(update={"local_lessons": local}), date(2026, 11, 23))
    mine = bank.by_id()["local-case"]
    assert mine.local and len(bank.lessons) > 80 and not mine.is_sendable(date(2026, 11, 23)) and mine.is_sendable(date(2027, 3, 1))


def test_feedback_lists_not_relevant_by_role_and_wrong_answers(service, settings, monkeypatch):
    add_people(service.engine, [f"p{i}@example.org,P{i},midwife,Team,Agency,Europe/London,Tuesday,10:00" for i in range(6)])
    now = utc(2026, 11, 24, 12)
    run_planning(service, now)
    asyncio.run(dispatch_due(service, lambda: now))
    client = TestClient(create_app(service))
    for path in sorted(service.settings.mail_dir.glob("*.eml")):
        text = message_from_bytes(path.read_bytes(), policy=policy.default).get_body(("plain",)).get_content()
        link = re.search(r"http://testserver(/r/[\w.-]+)\?", text).group(1)
        client.post(link, data={"practice": "not_relevant"})
    monkeypatch.setenv("LESSONLOOP_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("LESSONLOOP_ENV", "test")
    result = runner.invoke(app, ["lessons", "feedback", "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    # Six midwives, one nudge each, spread over lessons: a lesson with fewer than 5 of them shows nothing,
    # and whatever shows is rounded to a multiple of 5: never a count of 1.
    assert rows and sum(1 for r in rows if r["sent"] is not None) <= 1
    for r in rows:
        figures = [r[m] for m in ("sent", "replies", "checks_answered", "checks_wrong", "not_relevant")]
        assert all(v is None for v in figures) or all(v % 5 == 0 for v in figures)
        assert all(n % 5 == 0 and n > 0 for n in r["not_relevant_roles"].values())
    shown = [r for r in rows if r["sent"] is not None]
    assert all(set(r["not_relevant_roles"]) <= {"midwife"} for r in shown)
    monkeypatch.setenv("LESSONLOOP_MIN_CELL", "2")
    refused = runner.invoke(app, ["lessons", "feedback", "--json"])
    assert refused.exit_code == 2 and "LESSONLOOP_MIN_CELL: LESSONLOOP_MIN_CELL is 2; it must be at least 3" in refused.output
