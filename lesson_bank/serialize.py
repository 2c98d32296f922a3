"""A lesson as plain JSON-able data and back, so the exact version sent can be kept with the history."""
from dataclasses import asdict
from datetime import date

from lesson_bank.model import KnowledgeCheck, Kind, Lesson, Source, Status


def lesson_to_dict(lesson: Lesson) -> dict:
    data = asdict(lesson)
    data.update(status=lesson.status.value, kind=lesson.kind.value, path=str(lesson.path) if lesson.path else None)
    for key in ("review_by", "publish_after"):
        data[key] = data[key].isoformat() if data[key] else None
    return data


def lesson_from_dict(data: dict) -> Lesson:
    data = dict(data)
    check = data.pop("check")
    data["check"] = KnowledgeCheck(check["question"], tuple(check["options"]), check["answer"], check["explanation"])
    data["sources"] = tuple(Source(**source) for source in data["sources"])
    for key in ("themes", "roles", "levels"):
        data[key] = tuple(data[key])
    for key in ("review_by", "publish_after"):
        data[key] = date.fromisoformat(data[key]) if data[key] else None
    data["status"], data["kind"] = Status(data["status"]), Kind(data["kind"])
    data["path"] = None
    return Lesson(**data)
