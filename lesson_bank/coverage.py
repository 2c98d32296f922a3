"""The role-by-theme matrix of published lessons, with totals per role, theme and level."""

from collections import Counter

from lesson_bank.model import Lesson, Status
from lesson_bank.taxonomy import Taxonomy


def coverage_matrix(lessons: tuple[Lesson, ...], taxonomy: Taxonomy) -> dict[str, dict[str, int]]:
    matrix = {role: {theme: 0 for theme in taxonomy.themes} for role in taxonomy.roles}
    for lesson in lessons:
        if lesson.status is not Status.PUBLISHED:
            continue
        for role in lesson.roles:
            for theme in lesson.themes:
                if role in matrix and theme in matrix[role]:
                    matrix[role][theme] += 1
    return matrix


def coverage_totals(lessons: tuple[Lesson, ...], taxonomy: Taxonomy) -> dict[str, dict[str, int]]:
    """Published lessons per role, per theme and per level (a lesson counts once in each it is tagged with)."""
    published = [l for l in lessons if l.status is Status.PUBLISHED]
    count = lambda attr, vocabulary: {k: Counter(x for l in published for x in getattr(l, attr))[k] for k in vocabulary}  # noqa: E731
    return {
        "roles": count("roles", taxonomy.roles),
        "themes": count("themes", taxonomy.themes),
        "levels": count("levels", taxonomy.levels),
        "published": {"all": len(published)},
    }


def format_matrix(matrix: dict[str, dict[str, int]]) -> str:
    roles = list(matrix)
    themes = list(next(iter(matrix.values()), {}))
    width = max(len(t) for t in themes) if themes else 5
    header = " " * width + " " + " ".join(f"{i:>3}" for i in range(1, len(roles) + 1))
    lines = [header]
    for theme in themes:
        cells = " ".join(f"{matrix[role][theme] or '.':>3}" for role in roles)
        lines.append(f"{theme:<{width}} {cells}")
    lines.append("")
    lines += [f"{i:>3} = {role}" for i, role in enumerate(roles, 1)]
    return "\n".join(lines)


def format_totals(totals: dict[str, dict[str, int]]) -> str:
    lines = [f"published lessons: {totals['published']['all']}"]
    for name in ("roles", "levels", "themes"):
        lines.append(f"{name}: " + ", ".join(f"{key} {n}" for key, n in totals[name].items()))
    return "\n".join(lines)
