"""Where lessons come from in this deployment: the bundled bank plus an optional local folder.
Lessons never need the seed documents at run time: seed entries in `sources:` are provenance data only."""
from datetime import date
from pathlib import Path

from bot.core.settings import Settings
from lesson_bank import BUNDLED_LESSONS
from lesson_bank.bank import LoadResult, load_lessons


def lesson_folders(settings: Settings, paths: list[Path] | None = None) -> list[tuple[Path, bool]]:
    if paths:
        return [(path, False) for path in paths]
    folders = [(BUNDLED_LESSONS, False)]
    if settings.local_lessons:
        folders.append((settings.local_lessons, True))
    return folders


def load_bank(settings: Settings, today: date, paths: list[Path] | None = None) -> LoadResult:
    return load_lessons(lesson_folders(settings, paths), today)
