import json
from datetime import date
from pathlib import Path

from typer.testing import CliRunner

from bot.cli.main import app
from lesson_bank import BUNDLED_LESSONS
from lesson_bank.bank import load_lessons
from tests.helpers import write

TODAY = date(2026, 11, 23)
GOOD = """---
id: {id}
title: A test lesson
themes: [seen-child]
roles: [social-worker, teacher]
reflect: "When did you last ask a child about their day?"
check:
  question: "What does 'child seen' tell you?"
  options: ["That the child is safe", "Only that the child was there", "That the child was asked"]
  answer: 2
  explanation: "Being there is not the same as being safe."
try_this_week: "Write down one thing a child tells you in their own words."
sources:
  - title: "Working Together to Safeguard Children"
    year: 2023
review_by: 2027-11-30
---
### What happened
A nurse saw a baby at a clinic. The baby was calm and clean.

### Why it happened
The clinic was busy and the visit was short.

### What to do
Ask the child, or the parent, what a normal day is like.
"""


def lint(*paths: Path):
    return load_lessons([(p, False) for p in paths], TODAY)


def test_bundled_bank_is_clean_and_large_enough():
    result = lint(BUNDLED_LESSONS)
    assert result.errors == ()
    assert len(result.lessons) >= 12
    assert all(lesson.sources for lesson in result.lessons)


def test_good_lesson_loads_with_a_content_version(tmp_path):
    path = write(tmp_path / "good-one.md", GOOD.format(id="good-one"))
    result = lint(path)
    assert result.problems == ()
    lesson = result.lessons[0]
    assert lesson.check.answer == 2 and lesson.check.is_right(2)
    path.write_text(GOOD.format(id="good-one").replace("calm and clean", "calm and tidy"))
    assert lint(path).lessons[0].version != lesson.version


def test_each_problem_is_reported_with_its_line(tmp_path):
    bad = GOOD.format(id="bad-one").replace("roles: [social-worker, teacher]", "roles: [social-worker, nures]")
    bad = bad.replace('reflect: "When did you last ask a child about their day?"\n', "")
    bad = bad.replace("Ask the child, or the parent, what a normal day is like.", "word " * 160)
    path = write(tmp_path / "bad-one.md", bad)
    messages = [str(p) for p in lint(path).problems]
    assert any(m.startswith(f"{path}:5: error: unknown role 'nures'") for m in messages)
    assert any("required field 'reflect' is missing" in m for m in messages)
    assert any("words; the limit is 150" in m for m in messages)


def test_duplicate_ids_across_folders(tmp_path):
    write(tmp_path / "a" / "same-id.md", GOOD.format(id="same-id"))
    write(tmp_path / "b" / "same-id.md", GOOD.format(id="same-id"))
    result = lint(tmp_path / "a", tmp_path / "b")
    assert len(result.lessons) == 1
    assert any("duplicate id 'same-id'" in p.message for p in result.errors)


def test_broken_yaml_names_the_line(tmp_path):
    path = write(tmp_path / "broken.md", GOOD.format(id="broken").replace("title: A test lesson", "title: [unclosed"))
    problems = lint(path).problems
    assert problems and problems[0].line >= 3 and "YAML error" in problems[0].message


def test_lint_command_exits_1_and_prints_path_line(tmp_path):
    path = write(tmp_path / "cli-bad.md", GOOD.format(id="cli-bad").replace("themes: [seen-child]", "themes: [sen-child]"))
    result = CliRunner().invoke(app, ["lessons", "lint", str(tmp_path)])
    assert result.exit_code == 1
    assert f"{path}:4: error: unknown theme 'sen-child'" in result.output


def test_lint_command_passes_on_the_bundled_bank():
    result = CliRunner().invoke(app, ["lessons", "lint"])
    assert result.exit_code == 0, result.output


def test_list_filters_by_role_and_theme():
    result = CliRunner().invoke(app, ["lessons", "list", "--role", "midwife", "--json"])
    assert result.exit_code == 0
    rows = json.loads(result.stdout)
    assert rows and all("midwife" in row["roles"] for row in rows)
    unknown = CliRunner().invoke(app, ["lessons", "list", "--theme", "nope"])
    assert unknown.exit_code == 2


def test_old_guidance_needs_a_pointer_to_current_procedure(tmp_path):
    old = GOOD.format(id="old-guidance").replace(
        '  - title: "Working Together to Safeguard Children"\n    year: 2023',
        '  - title: "London Child Protection Procedures 2007, 5.11.35"\n    year: 2007')
    path = write(tmp_path / "old-guidance.md", old)
    assert any("older guidance" in p.message and p.severity == "warning" for p in lint(path).problems)
    fixed = old.replace("what a normal day is like.", "what a normal day is like. Check your current local procedure.")
    path.write_text(fixed)
    assert not any("older guidance" in p.message for p in lint(path).problems)
