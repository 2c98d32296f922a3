"""Choosing a team's agenda theme for a week: pure (the team's figures, history and lessons are passed in).

A theme covered in the last `gap` weeks is left out. The rest are weighted towards what the team most
needs: many "not yet" answers (little practice change), many wrong check answers, and new local
lessons. A small hash of (team, week, theme) breaks ties so quiet themes still take their turn."""

import hashlib
from dataclasses import dataclass

from lesson_bank.model import Lesson


@dataclass(frozen=True)
class ThemeFigures:
    answered: int = 0
    not_yet: int = 0
    checked: int = 0
    correct: int = 0


@dataclass(frozen=True)
class Choice:
    theme_id: str
    lesson: Lesson
    weight: float


def _jitter(*parts: object) -> float:
    digest = hashlib.sha1("/".join(map(str, parts)).encode()).hexdigest()
    return int(digest[:8], 16) / 0xFFFFFFFF * 0.5


def theme_weight(figures: ThemeFigures | None, *, has_new_local: bool, min_cell: int) -> float:
    weight = 1.0
    if figures and figures.answered >= min_cell:
        weight += 2.0 * figures.not_yet / figures.answered
    if figures and figures.checked >= min_cell:
        weight += 2.0 * (figures.checked - figures.correct) / figures.checked
    return weight + (1.5 if has_new_local else 0.0)


def _candidates(lessons: list[Lesson], roles: set[str]) -> dict[str, list[Lesson]]:
    by_theme: dict[str, list[Lesson]] = {}
    for lesson in lessons:
        if not roles or roles & set(lesson.roles):
            by_theme.setdefault(lesson.primary_theme, []).append(lesson)
    return by_theme


def _pick_lesson(options: list[Lesson], used: set[str], key: tuple) -> Lesson:
    """New local lessons first, then lessons the team has not discussed, then a steady hash order."""
    return min(options, key=lambda l: (not (l.local and l.id not in used), l.id in used, _jitter(*key, l.id)))


def choose_theme(
    *,
    team_id: int,
    week: str,
    lessons: list[Lesson],
    roles: set[str],
    recent_themes: list[str],
    used_lessons: set[str],
    figures: dict[str, ThemeFigures],
    min_cell: int,
    gap: int = 8,
) -> Choice | None:
    """`recent_themes` is the team's agenda themes, most recent first; `lessons` are the sendable ones."""
    by_theme = _candidates(lessons, roles) or _candidates(lessons, set())
    if not by_theme:
        return None
    blocked = set(recent_themes[:gap])
    open_themes = [t for t in by_theme if t not in blocked]
    if not open_themes:  # everything was covered lately: take the one covered longest ago (or never)
        order = {t: i for i, t in reversed(list(enumerate(recent_themes)))}
        open_themes = [max(by_theme, key=lambda t: (order.get(t, len(recent_themes)), t))]
    scored = []
    for theme in open_themes:
        new_local = any(l.local and l.id not in used_lessons for l in by_theme[theme])
        weight = theme_weight(figures.get(theme), has_new_local=new_local, min_cell=min_cell)
        scored.append((weight + _jitter(team_id, week, theme), theme))
    weight, theme = max(scored)
    return Choice(theme, _pick_lesson(by_theme[theme], used_lessons, (team_id, week)), round(weight, 3))
