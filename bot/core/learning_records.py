"""Build one person's learning record (issue 13) with each lesson as it was sent; and the signed link that
opens it. The link names the person and expires; nobody else (no lead, no admin page) can open it."""

from datetime import date, datetime

from sqlmodel import Session

from bot.core.service import Service
from digests.learning_record import LearningRecord, RecordEntry, check_text, impact_label, label, practice_label
from lesson_bank.taxonomy import load_taxonomy
from schedules.learning_record import record_rows
from schedules.lesson_versions import lesson_as_sent
from schedules.models import Person

PURPOSE = "record"


def record_url(service: Service, person_id: int, now: datetime) -> str:
    token = service.signer.sign(PURPOSE, person_id, now + service.link_lifetime)
    return f"{service.settings.base_url.rstrip('/')}/me/{token}"


def learning_record(service: Service, session: Session, person: Person, today: date) -> LearningRecord:
    assert person.id is not None  # a stored person
    taxonomy = load_taxonomy()
    entries = []
    for row in record_rows(session, person_id=person.id):
        lesson = lesson_as_sent(session, current=service.lessons, lesson_id=row.lesson_id, version=row.lesson_version)
        if lesson is None:  # a lesson since removed from the bank: keep the answer, say what is missing
            title, theme, source, try_this, reflect = row.lesson_id, "", "no longer in the lesson bank", "", ""
        else:
            title, theme, try_this, reflect = (
                lesson.title,
                taxonomy.theme_label(lesson.primary_theme),
                lesson.try_this_week,
                lesson.reflect,
            )
            source = "; ".join(lesson.citations())  # public sources only: seed provenance is for authors
        entries.append(
            RecordEntry(
                row.sent_at.date(),
                title,
                theme,
                source,
                try_this,
                reflect,
                row.is_review,
                check_text(row.check_correct),
                practice_label(row.practice),
                row.reflection,
                row.followup_sent_at.date() if row.followup_sent_at else None,
                label(row.followup_outcome),
                row.followup_barrier,
                tuple((at.date(), months, impact_label(answer), line) for at, months, answer, line in row.impact),
            )
        )
    role = taxonomy.role_label(person.role) if person.role in taxonomy.roles else person.role
    return LearningRecord(person.name, role, today, entries)


def record_as_dict(record: LearningRecord) -> dict:
    """The same record for `people export` (JSON)."""
    return {
        "name": record.name,
        "role": record.role,
        "made_on": record.made_on.isoformat(),
        "entries": [
            {
                **{k: (v.isoformat() if isinstance(v, date) else v) for k, v in entry.__dict__.items()},
                "impact": [
                    {"asked_on": on.isoformat(), "months": months, "answer": answer, "line": line}
                    for on, months, answer, line in entry.impact
                ],
            }
            for entry in record.entries
        ],
    }
