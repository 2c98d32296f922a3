"""Coverage, quotas, local lessons, `lessons new` and author feedback."""

import asyncio
import json
import re
from datetime import date
from email import message_from_bytes, policy

from fastapi.testclient import TestClient
import pytest
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
from tests.conftest import FIXTURE_LESSONS, utc
from tests.helpers import add_people, write
from tests.lesson_bank.test_lesson_bank import GOOD

runner = CliRunner()


@pytest.mark.bundled_bank
def test_bundled_bank_meets_every_coverage_target(monkeypatch):
    lessons = load_lessons([(BUNDLED_LESSONS, False)], date(2026, 11, 23)).lessons
    assert quota_gaps(lessons, load_taxonomy()) == []
    monkeypatch.setattr("bot.core.content.BUNDLED_LESSONS", BUNDLED_LESSONS)  # the real bank, not the fixture one
    result = runner.invoke(app, ["lessons", "coverage", "--json"])
    assert result.exit_code == 0 and json.loads(result.stdout)["gaps"] == []


def test_quota_gaps_name_what_is_missing():
    lessons = load_lessons([(FIXTURE_LESSONS, False)], date(2026, 11, 23)).lessons
    without_fii = tuple(l for l in lessons if "fabricated-illness" not in l.themes)
    gaps = quota_gaps(without_fii, load_taxonomy())
    assert any("theme 'fabricated-illness' has 0 lessons" in g for g in gaps)


def test_reading_ease_separates_plain_from_dense_text():
    plain = "Ask the child what a normal day is like. Write down what they say. Share it with your lead."
    dense = (
        "Interprofessional safeguarding arrangements necessitate comprehensive multidisciplinary information exchange protocols."
    )
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
    assert (
        mine.local and len(bank.lessons) > 80 and not mine.is_sendable(date(2026, 11, 23)) and mine.is_sendable(date(2027, 3, 1))
    )


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
    # Six midwives, one nudge each, spread over lessons: a lesson counts only where it was its theme's
    # whole piece of 5 or more people in a team's week (digests/disclosure.py), so a lesson that reached
    # fewer than 5 of them is not listed at all, and whatever shows is rounded: never a count of 1.
    for r in rows:
        figures = [r[m] for m in ("sent", "replies", "checks_answered", "checks_wrong", "not_relevant")]
        assert r["sent"] >= 5 and all(v % 5 == 0 for v in figures)
        assert all(n % 5 == 0 and n > 0 for n in r["not_relevant_roles"].values())
        assert set(r["not_relevant_roles"]) <= {"midwife"}
    assert len(rows) <= 1  # six people cannot make two lessons of five
    monkeypatch.setenv("LESSONLOOP_MIN_CELL", "2")
    refused = runner.invoke(app, ["lessons", "feedback", "--json"])
    assert refused.exit_code == 2 and "LESSONLOOP_MIN_CELL=2: LESSONLOOP_MIN_CELL is 2; it must be at least 3" in refused.output


# --- bank-wide rules, review dates and local detail (issue 10) ---


def longest_right(text: str) -> str:
    """Make the right option of the first check the longest one."""
    return text.replace('"Only that the child was there"', '"Only that the child was there, and nothing at all about their life"')


def test_balance_rule_fails_when_the_right_option_is_too_often_the_longest(tmp_path):
    for i in range(6):  # 12 checks; the right option is the longest in 6 (50%)
        write(tmp_path / "bank" / f"case-{i}.md", longest_right(GOOD.format(id=f"case-{i}")))
    result = load_lessons([(tmp_path / "bank", False)], date(2026, 11, 23))
    balance = [p for p in result.problems if p.message.startswith("balance:")]
    assert balance and balance[0].is_error and "longest in 6 of 12 checks (50%)" in balance[0].message
    for i in range(4, 6):  # 4 of 12 (33%) is within the 35% limit
        write(tmp_path / "bank" / f"case-{i}.md", GOOD.format(id=f"case-{i}"))
    result = load_lessons([(tmp_path / "bank", False)], date(2026, 11, 23))
    assert not any(p.message.startswith("balance:") for p in result.problems)
    lint = runner.invoke(app, ["lessons", "lint", str(tmp_path / "bank")])
    assert "balance:" not in lint.output


def test_near_duplicate_lessons_are_warnings(tmp_path):
    write(tmp_path / "bank" / "first.md", GOOD.format(id="first"))
    write(tmp_path / "bank" / "second.md", GOOD.format(id="second").replace("A nurse saw a baby", "A health visitor saw a baby"))
    result = load_lessons([(tmp_path / "bank", False)], date(2026, 11, 23))
    dupes = [p for p in result.problems if "near-duplicate of 'first'" in p.message]
    assert dupes and all(p.severity == "warning" for p in dupes) and len(result.lessons) == 2
    distinct = load_lessons(
        [
            (FIXTURE_LESSONS / "neglect-head-lice-question.md", False),
            (FIXTURE_LESSONS / "language-culture-child-as-interpreter.md", False),
        ],
        date(2026, 11, 23),
    )
    assert not any("near-duplicate" in p.message for p in distinct.problems)


def test_lessons_due_lists_what_depends_on_a_guidance(tmp_path, monkeypatch):
    bank = tmp_path / "bank"
    write(
        bank / "school-one.md",
        GOOD.format(id="school-one")
        .replace("guidance: [wt2023]", "guidance: [kcsie2025, wt2023]")
        .replace("review_by: 2027-11-30\n", ""),
    )
    write(bank / "social-care-one.md", GOOD.format(id="social-care-one").replace("review_by: 2027-11-30\n", ""))
    write(bank / "early-check.md", GOOD.format(id="early-check").replace("review_by: 2027-11-30", "review_by: 2027-01-15"))
    monkeypatch.setattr("bot.core.content.BUNDLED_LESSONS", bank)
    result = runner.invoke(app, ["lessons", "due", "--guidance", "kcsie2025", "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [r["id"] for r in rows] == ["school-one"]
    assert rows[0]["review_by"] == load_taxonomy().guidance["kcsie2025"].review_by.isoformat()
    before = json.loads(runner.invoke(app, ["lessons", "due", "--before", "2027-06-01", "--json"]).stdout)
    assert [r["id"] for r in before] == ["early-check"]
    everything = json.loads(runner.invoke(app, ["lessons", "due", "--before", "2028-01-01", "--json"]).stdout)
    assert [r["id"] for r in everything] == ["early-check", "school-one", "social-care-one"]
    assert runner.invoke(app, ["lessons", "due", "--guidance", "kcsie2024"]).exit_code == 2


def test_local_placeholders_render_from_settings_with_defaults(tmp_path):
    from bot.core.settings import Settings
    from lesson_bank.local import DEFAULTS, render_local

    text = "Phone {local:front_door}; out of hours, {local:out_of_hours}. Not {local:nope}."
    assert render_local(text) == f"Phone {DEFAULTS['front_door']}; out of hours, {DEFAULTS['out_of_hours']}. Not {{local:nope}}."
    contacts_file = write(tmp_path / "contacts.yaml", "front_door: Brightshire MASH, 0100 000 0000\nlado: ''\n")
    settings = Settings(local_contacts_file=contacts_file, local_out_of_hours="Emergency duty team, 0100 999 9999")
    assert settings.local_contacts() == {
        "front_door": "Brightshire MASH, 0100 000 0000",
        "out_of_hours": "Emergency duty team, 0100 999 9999",
    }
    assert render_local(text, settings.local_contacts()).startswith(
        "Phone Brightshire MASH, 0100 000 0000; out of hours, Emergency duty team"
    )


def test_coverage_shows_new_roles_themes_and_targets():
    result = runner.invoke(app, ["lessons", "coverage", "--json"])
    data = json.loads(result.stdout)
    assert {"ambulance", "camhs", "youth-worker"} <= set(data["totals"]["roles"])
    assert {"safer-sleep", "strategy-discussions"} <= set(data["totals"]["themes"])
    assert any("role 'ambulance' has 0 lessons; at least 25 needed" in g for g in data["gaps"])
    assert any("lessons for the strategic level; at least 15 needed" in g for g in data["gaps"])
    assert result.exit_code == 1


def test_stored_v1_lesson_versions_still_load():
    from lesson_bank.serialize import lesson_from_dict, lesson_to_dict

    lesson = load_lessons([(FIXTURE_LESSONS, False)], date(2026, 11, 23)).lessons[0]
    assert lesson_from_dict(json.loads(json.dumps(lesson_to_dict(lesson)))) == lesson
    old = lesson_to_dict(lesson)
    old["check"] = {"question": "q", "options": ["a", "b", "c"], "answer": 2, "explanation": "because"}
    for key in ("review_check", "guidance"):
        old.pop(key)
    for source in old["sources"]:
        source.pop("publisher"), source.pop("supports")
    restored = lesson_from_dict(old)
    assert restored.check.explanation == "because" and restored.check.is_right(2) and restored.review_check is None


# --- balance by length rank of the right option (issue 10, section 4) ---

CHECK_RIGHT = {
    1: "Only that the child was there",
    2: "Only that the child was in clinic",  # 33 ties a 33: rank 2
    3: "Only that the child was in the room",
    4: "Only that the child was there, no more",
}  # 35 ties a 35: rank 3
REVIEW_RIGHT = {
    1: "What each child said or showed",
    2: "What each child said, did or showed",
    3: "What each child said or showed to you",
    4: "What each child said, did or showed you",
}


def ranked(lesson_id: str, check_rank: int, review_rank: int) -> str:
    """GOOD with the right option of each check at the given length rank (1 = shortest .. 4 = longest)."""
    text = GOOD.format(id=lesson_id).replace('"Only that the child was there"', f'"{CHECK_RIGHT[check_rank]}"')
    text = text.replace('"Nothing: it is a normal thing to write"', '"Nothing: it is a normal thing to say"')
    text = text.replace('"Whether the children were seen at home"', '"Whether the child was seen at home"')
    return text.replace('"What each child said or showed"', f'"{REVIEW_RIGHT[review_rank]}"')


def write_ranked_bank(folder, pairs: list[tuple[int, int]]) -> None:
    for i, (check_rank, review_rank) in enumerate(pairs):
        write(folder / f"case-{i}.md", ranked(f"case-{i}", check_rank, review_rank))


def rank_problems(folder):
    return [
        p for p in load_lessons([(folder, False)], date(2026, 11, 23)).problems if p.message.startswith("balance by length rank:")
    ]


def test_length_rank_counts_strictly_shorter_options_so_ties_take_the_lower_rank(tmp_path):
    from lesson_bank.bank import right_length_rank
    from lesson_bank.model import KnowledgeCheck

    options = ("a" * 20, "b" * 10, "c" * 20, "d" * 5)
    assert [right_length_rank(KnowledgeCheck("q", options, answer)) for answer in (1, 2, 3, 4)] == [3, 2, 3, 1]
    assert right_length_rank(KnowledgeCheck("q", ("a" * 21,) + options[1:], 1)) == 4
    write_ranked_bank(tmp_path / "bank", [(rank, rank) for rank in (1, 2, 3, 4)])
    lessons = load_lessons([(tmp_path / "bank", False)], date(2026, 11, 23)).lessons
    assert [[right_length_rank(c) for c in l.checks()] for l in lessons] == [[1, 1], [2, 2], [3, 3], [4, 4]]


def test_rank_balance_errors_when_the_second_longest_is_the_give_away(tmp_path):
    # 40 checks: rank 3 in 22 (55%), rank 4 in none; the old "never the longest" pattern
    write_ranked_bank(tmp_path / "bank", [(3, 3)] * 11 + [(1, 2)] * 9)
    problems = rank_problems(tmp_path / "bank")
    assert problems and all(p.is_error for p in problems), problems
    messages = " | ".join(p.message for p in problems)
    assert "second-longest option (length rank 3 of 4) in 22 of 40 checks (55%); at most 35% allowed" in messages
    assert "longest option (length rank 4 of 4) in only 0 of 40 checks (0%); at least 15% expected" in messages
    assert "make the right option longer" in messages and "case-0" in messages
    lint = runner.invoke(app, ["lessons", "lint", str(tmp_path / "bank")])
    assert lint.exit_code == 1 and "balance by length rank:" in lint.output


def test_rank_balance_suggests_trimming_when_short_right_options_are_missing(tmp_path):
    write_ranked_bank(tmp_path / "bank", [(3, 3)] * 8 + [(4, 2)] * 6 + [(2, 4)] * 6)  # rank 1 empty, rank 3 40%
    messages = [p.message for p in rank_problems(tmp_path / "bank")]
    assert any(
        "second-longest option (length rank 3 of 4) in 16 of 40 checks (40%)" in m and "trim words from the right option" in m
        for m in messages
    ), messages
    assert any("shortest option (length rank 1 of 4) in only 0 of 40 checks (0%)" in m and "trim words" in m for m in messages), (
        messages
    )


def test_rank_balance_passes_a_spread_bank_and_only_warns_on_small_sets(tmp_path):
    write_ranked_bank(tmp_path / "bank", [(1, 2), (2, 3), (3, 4), (4, 1)] * 5)  # 10 checks at each rank
    result = load_lessons([(tmp_path / "bank", False)], date(2026, 11, 23))
    assert not [p for p in result.problems if p.message.startswith("balance")] and result.errors == ()
    write_ranked_bank(tmp_path / "small", [(3, 3)] * 4 + [(1, 2)] * 4)  # 16 checks: 50% at rank 3, a warning only
    small = rank_problems(tmp_path / "small")
    assert small and all(p.severity == "warning" for p in small)
    write_ranked_bank(tmp_path / "tiny", [(3, 3)] * 2)  # 4 checks cannot spread over four ranks: not reported
    assert rank_problems(tmp_path / "tiny") == []


def test_bad_local_lessons_are_reported_at_start_up_with_file_and_line(tmp_path, settings, caplog):
    from bot.compose import build_service

    local = tmp_path / "local"
    broken = write(local / "broken.md", "---\nid: broken\ntitle: [unclosed\n---\nbody\n")
    service = build_service(settings.model_copy(update={"local_lessons": local}), with_channels=False)
    service.engine.dispose()
    assert "lesson file problem" in caplog.text and f"{broken}:" in caplog.text
    assert "broken" not in service.lessons
