"""Teams side of frontline voice (issue 17). Typing "propose" or "moment" to the bot brings the form card;
its Action.Execute comes back here, is saved through bot.core.voice (checked like a reflection), and the
invoke response replaces the form with the thanks and the safety notice. A form with a problem comes back
with everything that was typed."""

from sqlmodel import Session, select

from bot.core.replying import safety_notice
from bot.core.service import Service
from bot.core.voice import THANKS_MOMENT, THANKS_PROPOSAL, submit_moment, submit_proposal
from digests.voice_cards import moment_card, proposal_card, saved_card
from lesson_bank.taxonomy import load_taxonomy
from schedules import moments, proposals
from schedules.models import Person

COMMANDS = {
    "propose": "propose",
    "propose a lesson": "propose",
    "moment": "moment",
    "practice moment": "moment",
    "log a practice moment": "moment",
}


def form_for(service: Service, kind: str, *, values: dict | None = None, problem: str | None = None) -> dict:
    taxonomy, contact = load_taxonomy(), service.settings.organisation_contact
    if kind == "propose":
        return proposal_card({r: t.label for r, t in taxonomy.roles.items()}, contact, values=values, problem=problem)
    return moment_card(
        moments.OUTCOMES, {f: t.label for f, t in taxonomy.factors.items()}, contact, values=values, problem=problem
    )


def command_of(text: str | None) -> str | None:
    return COMMANDS.get(" ".join((text or "").lower().split()).strip(" .!"))


def _listed(value) -> tuple[str, ...]:
    return tuple(v for v in str(value or "").split(",") if v)


def _text_field(data: dict, name: str) -> str:
    value = data.get(name) or ""
    return value if isinstance(value, str) else str(value)


def submit_form(service: Service, data: dict, sender_aad_id: str | None) -> dict:
    """The card that replaces the form: saved (thanks and notice), or the form again with the problem."""
    kind = data.get("lessonloop")
    with Session(service.engine) as session:
        person = sender_aad_id and session.exec(select(Person).where(Person.teams_user_id == sender_aad_id)).first()
        if not person:
            return saved_card(
                "You are not on the LessonLoop list yet, so this was not saved. Ask your safeguarding lead to add you.", None
            )
        try:
            if kind == "propose":
                proposal = proposals.ProposalText(
                    _text_field(data, "what_happened"),
                    _text_field(data, "learned"),
                    _listed(data.get("roles")),
                    str(data.get("credit")).lower() == "true",
                )
                saved, thanks = submit_proposal(service, session, person=person, text=proposal), THANKS_PROPOSAL
            elif kind == "moment":
                moment = moments.MomentText(
                    _text_field(data, "outcome"),
                    _text_field(data, "what_happened"),
                    _text_field(data, "what_helped"),
                    _listed(data.get("factors")),
                )
                saved, thanks = submit_moment(service, session, person=person, text=moment), THANKS_MOMENT
            else:
                return saved_card("This form is not one LessonLoop knows.", None)
        except (proposals.ProposalError, moments.MomentError) as exc:
            assert isinstance(kind, str)  # "propose" or "moment": anything else returned above
            return form_for(service, kind, values=data, problem=str(exc))
    return saved_card(thanks, safety_notice(saved, service.settings.organisation_contact))
