"""The demo organisation's frontline voice (issue 17): one lesson proposal, one practice moment and one
"you said, we did" note, written through the same paths staff and leads use, once per demo database."""

from sqlmodel import Session, select

from bot.core.clock import utcnow
from bot.core.service import Service
from bot.core.voice import submit_moment, submit_proposal
from schedules.models import Person
from schedules.moments import MomentText
from schedules.proposals import ProposalText
from schedules.said_did import add_note
from schedules.voice_models import LessonProposal

AGENCY = "Council Children's Services"


def seed_voice_demo(service: Service) -> bool:
    """False when the demo database already has them (serve --demo run twice)."""
    with Session(service.engine) as session:
        if session.exec(select(LessonProposal.id)).first() is not None:
            return False
        ivy = session.exec(select(Person).where(Person.email == "ivy.family@example.org")).one()
        ben = session.exec(select(Person).where(Person.email == "ben.hv@example.org")).one()
        submit_proposal(
            service,
            session,
            person=ivy,
            text=ProposalText(
                "On a home visit the children were asleep, so we did not see them. The case was closed two weeks later "
                "without anyone having seen them awake.",
                "Before closing, check when each child was last seen, awake, and by whom.",
                ("family-support", "social-worker", "health-visitor"),
                credit=False,
            ),
        )
        submit_moment(
            service,
            session,
            person=ben,
            text=MomentText(
                "near_miss",
                "A new-birth visit nearly went to the old address after the family moved.",
                "A GP receptionist mentioned the move; a shared address check at handover would have caught it.",
                ("handover", "information-not-shared"),
            ),
        )
        add_note(
            session,
            about_kind="factor",
            about="handover",
            audience_kind="agency",
            audience=AGENCY,
            text="You said handovers lose information. We now add 'when was each child last seen?' to every case handover.",
            author="maya.admin@example.org",
            scope_agency=None,
            now=utcnow(),
        )
    return True
