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
# Length ranks of the right option (1 = shortest .. 4 = longest): each rank should hold about a quarter of the
# checks, so "never the longest, pick the second longest" is no more a give-away than "pick the longest".
MAX_RANK_SHARE = 0.35
MIN_RANK_SHARE = 0.15
MIN_CHECKS_FOR_RANK_BALANCE = 40  # below this the rank balance is a warning; below MIN_CHECKS_FOR_BALANCE it is not reported
RANK_NAMES = {1: "shortest", 2: "second-shortest", 3: "second-longest", 4: "longest"}


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
    return [
        Problem(
            where,
            0,
            f"balance: the right option is the longest in {longest} of {total} checks "
            f"({longest / total:.0%}); at most {MAX_LONGEST_SHARE:.0%} allowed. Shorten the right option in: {shown}",
            severity,
        )
    ]


def right_length_rank(check) -> int:
    """Where the right option sits by length among the options: 1 + the number of other options strictly
    shorter than it (1 = shortest, 4 = strictly longest of four). A tie counts as the lower rank."""
    right = len(check.right_option)
    return 1 + sum(len(text) < right for n, text in enumerate(check.options, 1) if n != check.answer)


def length_ranks(lessons) -> dict[int, list[str]]:
    """For each length rank 1-4, the ids of the lessons with a four-option check whose right option has it
    (an id once per check, counting review checks)."""
    ranks: dict[int, list[str]] = {rank: [] for rank in RANK_NAMES}
    for lesson in lessons:
        for check in lesson.checks():
            if len(check.options) == len(RANK_NAMES):
                ranks[right_length_rank(check)].append(lesson.id)
    return ranks


def _rank_label(rank: int) -> str:
    return f"{RANK_NAMES[rank]} option (length rank {rank} of {len(RANK_NAMES)})"


def _shown(ids: list[str]) -> str:
    unique = list(dict.fromkeys(ids))
    return ", ".join(unique[:10]) + (f" and {len(unique) - 10} more" if len(unique) > 10 else "")


def rank_balance_problems(lessons: tuple[Lesson, ...], where: str) -> list[Problem]:
    """No length rank of the right option may hold more than MAX_RANK_SHARE or less than MIN_RANK_SHARE of
    the checks. Too many at the longest rank is left to `balance_problems`, which already reports it."""
    ranks = length_ranks(lessons)
    total = sum(len(ids) for ids in ranks.values())
    if total < MIN_CHECKS_FOR_BALANCE:
        return []  # a file or two cannot spread over four ranks
    severity = "error" if total >= MIN_CHECKS_FOR_RANK_BALANCE else "warning"
    share = {rank: len(ids) / total for rank, ids in ranks.items()}
    low = [rank for rank in ranks if share[rank] < MIN_RANK_SHARE]
    high = [rank for rank in ranks if share[rank] > MAX_RANK_SHARE]
    problems = []
    for rank in high:
        if rank == max(RANK_NAMES):
            continue
        # move checks towards the emptiest rank: up by lengthening the right option, down by trimming it
        target = min(ranks, key=lambda r: (share[r], abs(r - rank)))
        how = (
            "make the right option longer (add a precise who, when or how) or tighten a longer distractor"
            if target > rank
            else "trim words from the right option or lengthen a shorter distractor"
        )
        problems.append(
            Problem(
                where,
                0,
                (
                    f"balance by length rank: the right option is the {_rank_label(rank)} in {len(ranks[rank])} of {total} "
                    f"checks ({share[rank]:.0%}); at most {MAX_RANK_SHARE:.0%} allowed, a test-wise reader learns to pick it. "
                    f"Move some towards the {RANK_NAMES[target]}: {how}, in: {_shown(ranks[rank])}"
                ),
                severity,
            )
        )
    for rank in low:
        source = max(ranks, key=lambda r: (share[r], -abs(r - rank)))
        how = (
            "make the right option longer (add a precise who, when or how) or tighten a longer distractor"
            if rank > source
            else "trim words from the right option or lengthen a shorter distractor"
        )
        problems.append(
            Problem(
                where,
                0,
                (
                    f"balance by length rank: the right option is the {_rank_label(rank)} in only {len(ranks[rank])} of {total} "
                    f"checks ({share[rank]:.0%}); at least {MIN_RANK_SHARE:.0%} expected. Move some from the "
                    f"{RANK_NAMES[source]} ({share[source]:.0%}): {how}, in: {_shown(ranks[source])}"
                ),
                severity,
            )
        )
    return problems


def duplicate_problems(lessons: tuple[Lesson, ...]) -> list[Problem]:
    return [
        Problem(
            str(b.path or b.id),
            2,
            f"near-duplicate of '{a.id}': {what} similarity {score:.2f}; merge them or make them clearly different",
            "warning",
        )
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
        problems += rank_balance_problems(loaded, str(folders[0][0]))
    problems += duplicate_problems(loaded)
    return LoadResult(loaded, tuple(problems))
