"""What frontline voice (issue 17) holds about a person, for export and for forgetting. Practice moments hold
no person at all; a proposal keeps its (redacted) text for review but loses who wrote it."""

from sqlalchemy import delete, update
from sqlmodel import Session, col, select

from schedules.voice_models import LessonProposal, SaidDidSeen


def export_voice(session: Session, *, person_id: int) -> dict:
    proposals = session.exec(select(LessonProposal).where(LessonProposal.person_id == person_id)).all()
    seen = session.exec(select(SaidDidSeen).where(SaidDidSeen.person_id == person_id)).all()
    return {
        "lesson_proposals": [p.model_dump(mode="json") for p in proposals],
        "said_did_received": [s.model_dump(mode="json") for s in seen],
    }


def forget_voice(session: Session, *, person_id: int) -> None:
    """The caller commits, with the rest of forgetting."""
    session.execute(
        update(LessonProposal)
        .where(col(LessonProposal.person_id) == person_id)
        .values(person_id=None, credit=False, credit_name=None)
    )
    session.execute(delete(SaidDidSeen).where(col(SaidDidSeen.person_id) == person_id))
