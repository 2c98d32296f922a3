"""Load every lesson file from one or more folders into a bank, with all problems found: per file, then
bank-wide (right-answer balance, near-duplicate lessons)."""
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

from lesson_bank.model import Lesson
from lesson_bank.problems import Problem
from lesson_bank.similarity import near_duplicates
from lesson_bank.taxonomy import Taxonomy, load_taxonomy
from lesson_bank.validate import check_lesson_file

MAX_LONGEST_SHARE = 0.35  # the right option may be the strictly longest in at most this share of checks
MIN_CHECKS_FOR_BALANCE = 10  # fewer checks than this: the balance is reported as a warning only


@dataclass(frozen=True)
class LoadResult:
    lessons: tuple[Lesson, ...]
    problems: tuple[Problem, ...]

    @property
    def errors(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.is_error)

    def by_id(self) -> dict[str, Lesson]:
        return {lesson.id: lesson for lesson in self.lessons}


def lesson_files(path: Path) -> list[Path]:
    return [path] if path.is_file() else sorted(path.rglob("*.md"))


def longest_right_share(lessons) -> tuple[int, int]:
    """(checks where the right option is strictly the longest, all checks), counting review checks."""
    checks = [check for lesson in lessons for check in lesson.checks()]
    return sum(check.right_is_longest for check in checks), len(checks)


def balance_problems(lessons: tuple[Lesson, ...], where: str) -> list[Problem]:
    longest, total = longest_right_share(lessons)
    if not total or longest / total <= MAX_LONGEST_SHARE:
        return []
    ids = [l.id for l in lessons if any(c.right_is_longest for c in l.checks())]
    shown = ", ".join(ids[:10]) + (f" and {len(ids) - 10} more" if len(ids) > 10 else "")
    severity = "error" if total >= MIN_CHECKS_FOR_BALANCE else "warning"
    return [Problem(where, 0, f"balance: the right option is the longest in {longest} of {total} checks "
                              f"({longest / total:.0%}); at most {MAX_LONGEST_SHARE:.0%} allowed. Shorten the right option in: {shown}", severity)]


def duplicate_problems(lessons: tuple[Lesson, ...]) -> list[Problem]:
    return [
        Problem(str(b.path or b.id), 2, f"near-duplicate of '{a.id}': {what} similarity {score:.2f}; merge them or make them clearly different", "warning")
        for a, b, what, score in near_duplicates(lessons)
    ]


def load_lessons(folders: list[tuple[Path, bool]], today: date, *, taxonomy: Taxonomy | None = None) -> LoadResult:
    """folders: (path, is_local) pairs. Ids must be unique across all of them."""
    taxonomy = taxonomy or load_taxonomy()
    lessons: list[Lesson] = []
    problems: list[Problem] = []
    first_seen: dict[str, Path] = {}
    for folder, is_local in folders:
        for path in lesson_files(folder):
            lesson, found = check_lesson_file(path, taxonomy, today)
            problems.extend(found)
            if lesson is None:
                continue
            if lesson.id in first_seen:
                problems.append(Problem(str(path), 2, f"duplicate id '{lesson.id}', first used in {first_seen[lesson.id]}"))
                continue
            first_seen[lesson.id] = path
            lessons.append(replace(lesson, local=is_local))
    loaded = tuple(lessons)
    if folders:
        problems += balance_problems(loaded, str(folders[0][0]))
    problems += duplicate_problems(loaded)
    return LoadResult(loaded, tuple(problems))
