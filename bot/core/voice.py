"""The one way a proposal or a practice moment is saved, from every channel (email pages, Slack, Teams):
the free text goes through the same check as reflections (bot.core.replying.check_text) before anything
is stored, and the writer is shown the same notice (safety_notice)."""

from dataclasses import dataclass, replace

from sqlmodel import Session

from bot.core.clock import utcnow
from bot.core.replying import check_text
from bot.core.service import Service
from lesson_bank.taxonomy import load_taxonomy
from schedules import moments, proposals
from schedules.models import Person


@dataclass(frozen=True)
class SavedText:
    """What was saved, and what the writer must be told (the same fields safety_notice reads)."""

    id: int
    removed: tuple[str, ...] = ()
    live_concern: bool = False


def _check(*texts: str) -> tuple[list[str], tuple[str, ...], bool]:
    cleaned, removed, concern = [], [], False
    for text in texts:
        clean, found, live = check_text(text)
        cleaned.append(clean or "")
        removed += [label for label in found if label not in removed]
        concern = concern or live
    return cleaned, tuple(removed), concern


def submit_proposal(service: Service, session: Session, *, person: Person, text: proposals.ProposalText) -> SavedText:
    """Raises proposals.ProposalError for a field that cannot be right."""
    proposals.check_fields(text, load_taxonomy().roles)
    (happened, learned), removed, concern = _check(text.what_happened, text.learned)
    saved = proposals.add_proposal(
        session, person=person, text=replace(text, what_happened=happened, learned=learned), now=utcnow()
    )
    assert saved.id is not None  # inserted
    return SavedText(saved.id, removed, concern)


def submit_moment(service: Service, session: Session, *, person: Person, text: moments.MomentText) -> SavedText:
    """Raises moments.MomentError for a field that cannot be right."""
    taxonomy = load_taxonomy()
    moments.check_fields(text, factors=taxonomy.factors, themes=taxonomy.themes)
    (happened, helped), removed, concern = _check(text.what_happened, text.what_helped)
    saved = moments.add_moment(
        session,
        person=person,
        text=replace(text, what_happened=happened, what_helped=helped),
        secret=service.settings.signing_key(),
        now=utcnow(),
    )
    assert saved.id is not None  # inserted
    return SavedText(saved.id, removed, concern)


THANKS_MOMENT = (
    "Thank you. Practice moments are anonymous and are never used to judge anyone: they show leads "
    "where the system makes good practice harder or easier."
)
THANKS_PROPOSAL = (
    "Thank you. Your proposal goes to your safeguarding leads for review, without your name unless you "
    "asked to be credited. We will tell you if it is published as a lesson."
)
