import json
from datetime import date
from pathlib import Path

import pytest
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
guidance: [wt2023]
reflect: "When did you last ask a child about their day?"
check:
  question: "What does 'child seen' tell you?"
  options:
    - text: "That the child is safe and well"
      why: "Being there is not the same as being safe."
    - text: "Only that the child was there"
      why: "Right: the record should say what the child showed or said."
    - text: "That the child was asked about home"
      why: "Nothing says anyone spoke to the child."
    - text: "That the parents are co-operating"
      why: "A visit can be agreed while nothing changes."
  answer: 2
review_check:
  question: "A colleague writes 'children seen and well'. What do you ask?"
  options:
    - text: "Nothing: it is a normal thing to write"
      why: "It tells a reader nothing about the child's life."
    - text: "Whether the children were seen at home"
      why: "Where matters less than what was learned."
    - text: "What each child said or showed"
      why: "Right: a record should carry what the child showed or said."
    - text: "Whether the parent agreed to the visit"
      why: "Consent to a visit says nothing about the child."
  answer: 3
try_this_week: "Write down one thing a child tells you in their own words."
sources:
  - title: "Working together to safeguard children 2023"
    publisher: "Department for Education"
    year: 2023
    url: "https://www.gov.uk/government/publications/working-together-to-safeguard-children--2"
  - seed: 003_50cf735f93f7069d.txt
    lines: 83-88
review_by: 2027-11-30
---
### What happened
A nurse saw a baby at a clinic. The baby was calm and clean. The mother said all was well at home.
The nurse wrote "child seen" in the notes and the visit ended. Two weeks later the nursery said the
baby had been hungry most days. Nobody had asked what a normal day was like for the baby.

### Why it happened
The clinic was busy and the visit was short. A calm baby in a clean coat looks like a safe baby.
The form had a box for "seen" but no box for what the child showed or said.

### What to do
Ask the child, or the parent, what a normal day is like. Write what you saw and heard, not just
that the child was there. Share it with the people who see the child most.
"""


def lint(*paths: Path):
    return load_lessons([(p, False) for p in paths], TODAY)


@pytest.mark.bundled_bank
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
    assert any(m.startswith(f"{path}:5: error: 'roles': unknown role 'nures'") for m in messages)
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
    assert f"{path}:4: error: 'themes': unknown theme 'sen-child'" in result.output


@pytest.mark.bundled_bank
def test_lint_command_passes_on_the_bundled_bank():
    result = CliRunner().invoke(app, ["lessons", "lint", str(BUNDLED_LESSONS)])
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
        "  - seed: 003_50cf735f93f7069d.txt",
        '  - title: "London Child Protection Procedures 2007, 5.11.35"\n'
        '    publisher: "London Safeguarding Children Board"\n    year: 2007\n    url: "https://example.org/2007"\n'
        "  - seed: 003_50cf735f93f7069d.txt",
    )
    path = write(tmp_path / "old-guidance.md", old)
    assert any("older guidance" in p.message and p.severity == "warning" for p in lint(path).problems)
    fixed = old.replace("what a normal day is like.", "what a normal day is like. Check your current local procedure.")
    path.write_text(fixed)
    assert not any("older guidance" in p.message for p in lint(path).problems)


# --- format v2 rules (issue 10) ---


def problems_for(tmp_path, text: str, name: str = "v2-case") -> list[str]:
    path = write(tmp_path / f"{name}.md", text.replace("id: {id}", f"id: {name}") if "{id}" in text else text)
    return [str(p) for p in lint(path).problems]


def good(name: str = "v2-case") -> str:
    return GOOD.format(id=name)


def test_three_option_check_is_rejected_naming_the_line(tmp_path):
    text = good().replace(
        """    - text: "That the parents are co-operating"
      why: "A visit can be agreed while nothing changes."
  answer: 2""",
        "  answer: 2",
    )
    messages = problems_for(tmp_path, text)
    line = next(n for n, l in enumerate(text.splitlines(), 1) if l.startswith("  options:"))
    assert any(m.endswith(f":{line}: error: 'check.options' has 3 options; exactly 4 are needed") for m in messages), messages


def test_long_option_missing_why_and_plain_text_options_are_rejected(tmp_path):
    long_text = "Phone the parent, then the nursery, then the health visitor, then write it all up in full tonight"
    text = good().replace('"That the child is safe and well"', f'"{long_text}"')
    text = text.replace('      why: "Nothing says anyone spoke to the child."\n', "")
    messages = problems_for(tmp_path, text)
    assert any(f"'check' option 1 'text' is {len(long_text)} characters; the limit is 90" in m for m in messages)
    assert any("'check' option 3 needs a one-line 'why'" in m for m in messages)
    text = good()
    start, end = text.index("  options:"), text.index("  answer: 2")
    v1 = text[:start] + '  options: ["Safe", "Only there", "Asked", "Co-operating"]\n  explanation: "old"\n' + text[end:]
    messages = problems_for(tmp_path, v1)
    assert any("'check' option 1 is plain text" in m for m in messages)
    assert any("'check.explanation' is the old format" in m for m in messages)


def test_review_check_is_required_and_must_ask_something_new(tmp_path):
    text = good().replace(
        "question: \"A colleague writes 'children seen and well'. What do you ask?\"",
        "question: \"What does 'child seen' tell you?\"",
    )
    assert any("'review_check.question' must differ from 'check.question'" in m for m in problems_for(tmp_path, text))
    start, end = good().index("review_check:"), good().index("try_this_week:")
    missing = good()[:start] + good()[end:]
    assert any("required field 'review_check' is missing" in m for m in problems_for(tmp_path, missing))


def test_sources_need_a_public_https_link(tmp_path):
    text = good()
    seed_only = text[: text.index("  - title:")] + text[text.index("  - seed:") :]
    assert any("needs at least one public source" in m for m in problems_for(tmp_path, seed_only))
    http = text.replace("https://www.gov.uk/government", "http://www.gov.uk/government")
    assert any("'url' must be a public https:// link" in m for m in problems_for(tmp_path, http))
    no_publisher = text.replace('    publisher: "Department for Education"\n', "")
    assert any("source 1 needs publisher (or author)" in m for m in problems_for(tmp_path, no_publisher))


def test_guidance_must_be_known_and_sets_the_review_date(tmp_path):
    assert any(
        "'guidance': unknown guidance 'kcsie2019'" in m
        for m in problems_for(tmp_path, good().replace("guidance: [wt2023]", "guidance: [kcsie2019]"))
    )
    path = write(
        tmp_path / "dated.md",
        good("dated").replace("guidance: [wt2023]", "guidance: [wt2023, kcsie2025]").replace("review_by: 2027-11-30\n", ""),
    )
    lesson = lint(path).lessons[0]
    from lesson_bank.taxonomy import load_taxonomy

    assert lesson.guidance == ("wt2023", "kcsie2025")
    assert lesson.review_by == load_taxonomy().guidance["kcsie2025"].review_by < load_taxonomy().guidance["wt2023"].review_by


def test_reader_text_never_shows_seed_line_references(tmp_path):
    text = good().replace("Share it with the people who see the child most.", "Research says so (lines 2005-2005).")
    line = next(n for n, l in enumerate(text.splitlines(), 1) if "lines 2005-2005" in l)
    messages = problems_for(tmp_path, text)
    assert any(f":{line}: error: 'body' shows internal source detail 'lines 2005-2005'" in m for m in messages), messages
    lesson = lint(write(tmp_path / "clean.md", good("clean"))).lessons[0]
    assert lesson.citations() == (
        "Working together to safeguard children 2023, Department for Education (2023): "
        "https://www.gov.uk/government/publications/working-together-to-safeguard-children--2",
    )
    assert all("lines" not in s.reader_citation() and "003_" not in s.reader_citation() for s in lesson.sources)


def test_unknown_placeholder_is_rejected_known_ones_pass(tmp_path):
    known = good().replace(
        '"Write down one thing a child tells you in their own words."', '"Save the number for {local:front_door} in your phone."'
    )
    assert problems_for(tmp_path, known) == []
    unknown = known.replace("{local:front_door}", "{local:frontdoor}")
    line = next(n for n, l in enumerate(unknown.splitlines(), 1) if l.startswith("try_this_week"))
    messages = problems_for(tmp_path, unknown)
    assert any(f":{line}: error: 'try_this_week' has unknown placeholder '{{local:frontdoor}}'" in m for m in messages), messages


def test_went_well_lessons_use_what_helped(tmp_path):
    text = (
        good()
        .replace("themes: [seen-child]", "kind: went-well\nthemes: [seen-child]")
        .replace("### Why it happened", "### What helped")
    )
    assert problems_for(tmp_path, text) == []
    learning = good().replace("### Why it happened", "### What helped")
    assert any("missing the heading '### Why it happened'" in m for m in problems_for(tmp_path, learning))
