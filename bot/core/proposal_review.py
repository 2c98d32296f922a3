"""Accepting or declining a lesson proposal, the same from the dashboard and the CLI: accepting writes a
draft local lesson file into LESSONLOOP_LOCAL_LESSONS; both are audited."""

from datetime import date
from pathlib import Path

from sqlmodel import Session

from bot.core.clock import utcnow
from bot.core.service import Service
from lesson_bank.proposal_draft import draft_id, proposal_lesson_text
from lesson_bank.taxonomy import load_taxonomy
from schedules import audit
from schedules.proposals import ProposalError, get_proposal, mark_reviewed


def accept(service: Service, session: Session, *, proposal_id: int, theme: str, actor: str, agency: str | None = None) -> Path:
    """Write the draft and mark the proposal accepted. Raises ProposalError (nothing written) for a problem."""
    folder = service.settings.local_lessons
    if folder is None:
        raise ProposalError("LESSONLOOP_LOCAL_LESSONS is not set: there is no folder for local lessons")
    if theme not in load_taxonomy().themes:
        raise ProposalError(f"field 'theme': unknown theme '{theme}'")
    proposal = get_proposal(session, proposal_id, agency=agency)
    assert proposal.id is not None  # a stored proposal
    lesson_id = draft_id(theme, proposal.id)
    path = Path(folder) / f"{lesson_id}.md"
    if path.exists():
        raise ProposalError(f"{path} already exists")
    now = utcnow()
    mark_reviewed(session, proposal, status="accepted", lesson_id=lesson_id, by=actor, now=now)
    text = proposal_lesson_text(
        proposal_id=proposal.id,
        theme=theme,
        roles=tuple(r for r in proposal.roles.split(",") if r),
        what_happened=proposal.what_happened,
        learned=proposal.learned,
        credit=proposal.credit_name if proposal.credit else None,
        today=date.today(),
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    audit.record(session, actor=actor, action="proposal.accept", detail=f"proposal {proposal.id} -> {path.name}", now=now)
    session.commit()
    return path


def decline(service: Service, session: Session, *, proposal_id: int, actor: str, agency: str | None = None) -> None:
    proposal = get_proposal(session, proposal_id, agency=agency)
    now = utcnow()
    mark_reviewed(session, proposal, status="declined", lesson_id=None, by=actor, now=now)
    audit.record(session, actor=actor, action="proposal.decline", detail=f"proposal {proposal.id}", now=now)
    session.commit()
