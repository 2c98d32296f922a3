"""Lesson proposals from practitioners: stored, listed for review, accepted or declined, and the proposers of
published lessons found. Text arrives already redacted (bot.core.voice checks it first)."""

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from schedules.models import Person
from schedules.voice_models import LessonProposal

LIMIT = 2000  # characters per free-text field, as for reflections


class ProposalError(ValueError):
    """The proposal cannot be saved or changed; the message names the field."""


@dataclass(frozen=True)
class ProposalText:
    what_happened: str
    learned: str
    roles: tuple[str, ...] = ()
    credit: bool = False


def check_fields(text: ProposalText, known_roles: set[str] | dict) -> None:
    for name in ("what_happened", "learned"):
        value = getattr(text, name)
        if not value or not value.strip():
            raise ProposalError(f"field '{name}' is empty: write a few words")
        if len(value) > LIMIT:
            raise ProposalError(f"field '{name}' is longer than {LIMIT} characters")
    unknown = [r for r in text.roles if r not in known_roles]
    if unknown:
        raise ProposalError(f"field 'roles': unknown role '{unknown[0]}'")


def add_proposal(session: Session, *, person: Person, text: ProposalText, now: datetime) -> LessonProposal:
    proposal = LessonProposal(
        person_id=person.id,
        agency=person.agency,
        what_happened=text.what_happened.strip(),
        learned=text.learned.strip(),
        roles=",".join(text.roles),
        credit=text.credit,
        credit_name=person.name if text.credit else None,
        created_at=now,
    )
    session.add(proposal)
    session.commit()
    return proposal


@dataclass(frozen=True)
class QueueItem:
    """What a lead sees: never the proposer, unless they asked to be credited."""

    id: int
    status: str
    what_happened: str
    learned: str
    roles: tuple[str, ...]
    credit: str | None
    lesson_id: str | None
    created_at: datetime

    def as_dict(self) -> dict:
        return {
            "id": self.id,
            "status": self.status,
            "what_happened": self.what_happened,
            "learned": self.learned,
            "roles": list(self.roles),
            "credit": self.credit,
            "lesson_id": self.lesson_id,
            "created_at": self.created_at.isoformat(),
        }


def _item(p: LessonProposal) -> QueueItem:
    assert p.id is not None  # a stored proposal
    return QueueItem(
        p.id,
        p.status,
        p.what_happened,
        p.learned,
        tuple(r for r in p.roles.split(",") if r),
        p.credit_name if p.credit else None,
        p.lesson_id,
        p.created_at,
    )


def review_queue(session: Session, *, agency: str | None = None, status: str | None = None) -> list[QueueItem]:
    """Proposals for a safeguarding lead's agency (None: every agency, for admins), newest first."""
    query = select(LessonProposal).order_by(col(LessonProposal.created_at).desc(), col(LessonProposal.id).desc())
    if agency is not None:
        query = query.where(LessonProposal.agency == agency)
    if status:
        query = query.where(LessonProposal.status == status)
    return [_item(p) for p in session.exec(query)]


def get_proposal(session: Session, proposal_id: int, *, agency: str | None = None) -> LessonProposal:
    proposal = session.get(LessonProposal, proposal_id)
    if proposal is None or (agency is not None and proposal.agency != agency):
        raise ProposalError(f"no proposal {proposal_id}")
    return proposal


def mark_reviewed(
    session: Session, proposal: LessonProposal, *, status: str, lesson_id: str | None, by: str, now: datetime
) -> None:
    if proposal.status != "new":
        raise ProposalError(f"proposal {proposal.id} is already {proposal.status}")
    proposal.status, proposal.lesson_id, proposal.reviewed_by, proposal.reviewed_at = status, lesson_id, by, now
    session.add(proposal)


def awaiting_notice(session: Session, *, published: set[str]) -> list[LessonProposal]:
    """Accepted proposals whose lesson is now published, and whose proposer has not yet been told."""
    if not published:
        return []
    query = select(LessonProposal).where(
        LessonProposal.status == "accepted",
        col(LessonProposal.published_notice_at).is_(None),
        col(LessonProposal.lesson_id).in_(sorted(published)),
    )
    return list(session.exec(query))
