"""Lesson content and its vocabulary: lesson files, the taxonomy, the loader and linter. Pure."""

from pathlib import Path

BUNDLED_LESSONS = Path(__file__).parent / "lessons"
