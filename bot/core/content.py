"""Where lessons come from in this deployment: the bundled bank plus an optional local folder."""
from datetime import date
from pathlib import Path

from bot.core.settings import Settings
from lesson_bank import BUNDLED_LESSONS
from lesson_bank.bank import LoadResult, load_lessons

def seeds_dir(settings: Settings) -> Path | None:
    """Authors may point LESSONLOOP_SEEDS_DIR at the source documents to check seed line references;
    the product itself never needs them."""
    return settings.seeds_dir


def lesson_folders(settings: Settings, paths: list[Path] | None = None) -> list[tuple[Path, bool]]:
    if paths:
        return [(path, False) for path in paths]
    folders = [(BUNDLED_LESSONS, False)]
    if settings.local_lessons:
        folders.append((settings.local_lessons, True))
    return folders


def load_bank(settings: Settings, today: date, paths: list[Path] | None = None) -> LoadResult:
    return load_lessons(lesson_folders(settings, paths), today, seeds_dir=seeds_dir(settings))
