"""A lesson as plain JSON-able data and back, so the exact version sent can be kept with the history."""

from dataclasses import asdict, fields
from datetime import date

from lesson_bank.model import KnowledgeCheck, Kind, Lesson, Source, Status

_SOURCE_FIELDS = {f.name for f in fields(Source)}
_LESSON_FIELDS = {f.name for f in fields(Lesson)}


def lesson_to_dict(lesson: Lesson) -> dict:
    data = asdict(lesson)
    data.update(status=lesson.status.value, kind=lesson.kind.value, path=str(lesson.path) if lesson.path else None)
    for key in ("review_by", "publish_after"):
        data[key] = data[key].isoformat() if data[key] else None
    return data


def check_from_dict(check: dict | None) -> KnowledgeCheck | None:
    """Reads both shapes: v2 (options + whys) and v1 records (options + one explanation for the right one)."""
    if not check:
        return None
    options, answer = tuple(check["options"]), check["answer"]
    whys = tuple(check.get("whys") or ())
    if not whys and check.get("explanation"):
        whys = tuple(check["explanation"] if n == answer else "" for n in range(1, len(options) + 1))
    return KnowledgeCheck(check["question"], options, answer, whys)


def lesson_from_dict(data: dict) -> Lesson:
    data = {key: value for key, value in data.items() if key in _LESSON_FIELDS}
    data["check"] = check_from_dict(data.pop("check"))
    data["review_check"] = check_from_dict(data.pop("review_check", None))
    data["sources"] = tuple(Source(**{k: v for k, v in s.items() if k in _SOURCE_FIELDS}) for s in data["sources"])
    for key in ("themes", "roles", "levels", "guidance"):
        data[key] = tuple(data.get(key) or ())
    data["levels"] = data["levels"] or ("practitioner",)
    for key in ("review_by", "publish_after"):
        data[key] = date.fromisoformat(data[key]) if data.get(key) else None
    data["status"], data["kind"] = Status(data["status"]), Kind(data["kind"])
    data["path"] = None
    return Lesson(**data)
