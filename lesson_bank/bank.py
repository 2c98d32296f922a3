"""Load every lesson file from one or more folders into a bank, with all problems found."""
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

from lesson_bank.model import Lesson
from lesson_bank.problems import Problem
from lesson_bank.taxonomy import Taxonomy, load_taxonomy
from lesson_bank.validate import check_lesson_file


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


def load_lessons(
    folders: list[tuple[Path, bool]],
    today: date,
    *,
    taxonomy: Taxonomy | None = None,
    seeds_dir: Path | None = None,
) -> LoadResult:
    """folders: (path, is_local) pairs. Ids must be unique across all of them."""
    taxonomy = taxonomy or load_taxonomy()
    lessons: list[Lesson] = []
    problems: list[Problem] = []
    first_seen: dict[str, Path] = {}
    for folder, is_local in folders:
        for path in lesson_files(folder):
            lesson, found = check_lesson_file(path, taxonomy, seeds_dir, today)
            problems.extend(found)
            if lesson is None:
                continue
            if lesson.id in first_seen:
                problems.append(Problem(str(path), 2, f"duplicate id '{lesson.id}', first used in {first_seen[lesson.id]}"))
                continue
            first_seen[lesson.id] = path
            lessons.append(replace(lesson, local=is_local))
    return LoadResult(tuple(lessons), tuple(problems))
