"""Where lessons come from in this deployment: the bundled bank plus an optional local folder.
Lessons never need the seed documents at run time: seed entries in `sources:` are provenance data only."""

from collections.abc import Iterable
from datetime import date
from pathlib import Path

from functools import partial

from bot.core.settings import Settings
from lesson_bank import BUNDLED_LESSONS
from lesson_bank.bank import LoadResult, load_lessons
from lesson_bank.local import render_local
from lesson_bank.model import Lesson


def lesson_folders(settings: Settings, paths: list[Path] | None = None) -> list[tuple[Path, bool]]:
    if paths:
        return [(path, False) for path in paths]
    folders = [(BUNDLED_LESSONS, False)]
    if settings.local_lessons:
        folders.append((settings.local_lessons, True))
    return folders


def load_bank(settings: Settings, today: date, paths: list[Path] | None = None) -> LoadResult:
    return load_lessons(lesson_folders(settings, paths), today)


def with_local_contacts(settings: Settings, lessons: Iterable[Lesson]) -> dict[str, Lesson]:
    """The lessons this deployment sends, with its own contacts filled into `{local:...}` placeholders,
    so every channel shows the same local text and stored versions keep exactly what was sent."""
    fill = partial(render_local, contacts=settings.local_contacts())
    return {lesson.id: lesson.with_text(fill) for lesson in lessons}
