"""What the bundled bank promises its readers, checked as numbers (see docs/writing-lessons.md)."""

from collections import Counter

from lesson_bank.model import Kind, Lesson, Status
from lesson_bank.taxonomy import Taxonomy

MIN_PUBLISHED = 120
MIN_PER_THEME = 3
MIN_PER_ROLE = 25
MIN_STRATEGIC = 15
MIN_PLAIN_ENGLISH = 10
MIN_WENT_WELL = 8


def quota_gaps(lessons: tuple[Lesson, ...], taxonomy: Taxonomy) -> list[str]:
    published = [l for l in lessons if l.status is Status.PUBLISHED]
    themes = Counter(t for l in published for t in l.themes)
    roles = Counter(r for l in published for r in l.roles)
    gaps = []
    if len(published) < MIN_PUBLISHED:
        gaps.append(f"{len(published)} published lessons; the bank promises at least {MIN_PUBLISHED}")
    gaps += [
        f"theme '{t}' has {themes[t]} lessons; at least {MIN_PER_THEME} needed"
        for t in taxonomy.themes
        if themes[t] < MIN_PER_THEME
    ]
    gaps += [
        f"role '{r}' has {roles[r]} lessons; at least {MIN_PER_ROLE} needed" for r in taxonomy.roles if roles[r] < MIN_PER_ROLE
    ]
    strategic = sum("strategic" in l.levels for l in published)
    if strategic < MIN_STRATEGIC:
        gaps.append(f"{strategic} lessons for the strategic level; at least {MIN_STRATEGIC} needed")
    plain = sum(l.plain_english for l in published)
    if plain < MIN_PLAIN_ENGLISH:
        gaps.append(f"{plain} plain-English lessons; at least {MIN_PLAIN_ENGLISH} needed")
    went_well = sum(l.kind is Kind.WENT_WELL for l in published)
    if went_well < MIN_WENT_WELL:
        gaps.append(f"{went_well} 'went-well' lessons; at least {MIN_WENT_WELL} needed")
    return gaps
