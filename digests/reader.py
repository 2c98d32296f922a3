"""A lesson as its reader sees it, the same in every channel: `{local:key}` placeholders filled from the
organisation's settings, and on a spaced review the lesson's review check asked in place of the first
check (so a review tests recall, not memory of last time's answer). Pure: lesson and contacts in."""
from collections.abc import Mapping
from dataclasses import replace
from functools import lru_cache

from lesson_bank.local import render_local
from lesson_bank.model import KnowledgeCheck, Lesson


def as_read(lesson: Lesson, *, is_review: bool, contacts: Mapping[str, str] | None = None) -> Lesson:
    return _as_read(lesson, is_review, tuple(sorted((contacts or {}).items())))


@lru_cache(maxsize=4096)
def _as_read(lesson: Lesson, is_review: bool, contacts: tuple[tuple[str, str], ...]) -> Lesson:
    mapping = dict(contacts)

    def fill(text: str) -> str:
        return render_local(text, mapping)

    def filled(check: KnowledgeCheck) -> KnowledgeCheck:
        return replace(check, question=fill(check.question), options=tuple(fill(o) for o in check.options),
                       whys=tuple(fill(w) for w in check.whys))

    asked = lesson.review_check if is_review and lesson.review_check else lesson.check
    return replace(lesson, title=fill(lesson.title), body=fill(lesson.body), reflect=fill(lesson.reflect),
                   try_this_week=fill(lesson.try_this_week), support=fill(lesson.support) if lesson.support else None,
                   check=filled(asked), review_check=None)
