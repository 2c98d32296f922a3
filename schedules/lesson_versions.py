"""Keep every lesson version that deliveries point at; find the one a delivery was sent with."""

import json
from datetime import datetime

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, select

from lesson_bank.model import Lesson
from lesson_bank.serialize import lesson_from_dict, lesson_to_dict
from schedules.models import LessonVersion


def record_versions(session: Session, *, lessons: list[Lesson], now: datetime) -> None:
    if not lessons:
        return
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    rows = [
        {"lesson_id": l.id, "version": l.version, "content_json": json.dumps(lesson_to_dict(l)), "recorded_at": now}
        for l in lessons
    ]
    session.execute(insert(LessonVersion).on_conflict_do_nothing(index_elements=["lesson_id", "version"]), rows)


def lesson_as_sent(session: Session, *, current: dict[str, Lesson], lesson_id: str, version: str) -> Lesson | None:
    """The lesson exactly as it was when planned; the current file if it has not changed since."""
    lesson = current.get(lesson_id)
    if lesson is not None and lesson.version == version:
        return lesson
    stored = session.exec(
        select(LessonVersion).where(LessonVersion.lesson_id == lesson_id, LessonVersion.version == version)
    ).first()
    return lesson_from_dict(json.loads(stored.content_json)) if stored else lesson
