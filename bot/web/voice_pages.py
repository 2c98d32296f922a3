"""Propose a lesson and log a practice moment from the email pages. The reply link's signed token says who
is writing (the person the nudge went to); a GET only shows the form, a POST saves through bot.core.voice."""

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse
from sqlmodel import Session

from bot.core.replying import signed_delivery
from bot.core.service import Service
from bot.core.signing import BadToken
from bot.core.voice import THANKS_MOMENT, THANKS_PROPOSAL, SavedText, submit_moment, submit_proposal
from bot.web.form_input import FormProblem, typed_text
from bot.web.pages import bad_link_page, service_of
from digests.render import render
from lesson_bank.taxonomy import load_taxonomy
from schedules.models import Person
from schedules.moments import OUTCOMES, MomentError, MomentText
from schedules.proposals import ProposalError, ProposalText

router = APIRouter()
TEXT = Form()  # lengths counted as the browser counts them (bot.web.form_input), so nothing typed is lost
LIMIT = 2000


def _writer(service: Service, session: Session, token: str) -> Person:
    """The person a reply link was sent to. Raises BadToken."""
    delivery, _ = signed_delivery(service, session, "reply", token)
    person = delivery.person_id and session.get(Person, delivery.person_id)
    if not person:
        raise BadToken("this link no longer belongs to anyone")
    return person


def _as_writer(request: Request, token: str, page: Callable[[Service, Session, Person], HTMLResponse]) -> HTMLResponse:
    """`page` for the person the reply link was sent to; a bad or stale link gets the bad-link page."""
    service = service_of(request)
    with Session(service.engine) as session:
        try:
            person = _writer(service, session, token)
        except BadToken as exc:
            return bad_link_page(exc)
        return page(service, session, person)


def _thanks(service: Service, saved: SavedText, message: str, token: str) -> HTMLResponse:
    return HTMLResponse(
        render(
            "pages/voice_thanks.html.j2",
            message=message,
            removed=saved.removed,
            live_concern=saved.live_concern,
            contact=service.settings.organisation_contact,
            back=f"/r/{token}",
        )
    )


def _proposal_form(service: Service, token: str, *, status: int = 200, problem: str | None = None, **given) -> HTMLResponse:
    taxonomy = load_taxonomy()
    page = render(
        "pages/propose.html.j2",
        action=f"/r/{token}/propose",
        problem=problem,
        roles=[(r, t.label) for r, t in taxonomy.roles.items()],
        chosen=given.get("roles") or [],
        what_happened=given.get("what_happened") or "",
        learned=given.get("learned") or "",
        credit=bool(given.get("credit")),
        contact=service.settings.organisation_contact,
    )
    return HTMLResponse(page, status_code=status)


def _moment_form(service: Service, token: str, *, status: int = 200, problem: str | None = None, **given) -> HTMLResponse:
    taxonomy = load_taxonomy()
    page = render(
        "pages/moment.html.j2",
        action=f"/r/{token}/moment",
        problem=problem,
        outcomes=list(OUTCOMES.items()),
        factors=[(f, t.label) for f, t in taxonomy.factors.items()],
        chosen=given.get("factors") or [],
        outcome=given.get("outcome"),
        what_happened=given.get("what_happened") or "",
        what_helped=given.get("what_helped") or "",
        contact=service.settings.organisation_contact,
    )
    return HTMLResponse(page, status_code=status)


@router.get("/r/{token}/propose", response_class=HTMLResponse)
def show_proposal_form(request: Request, token: str):
    return _as_writer(request, token, lambda service, session, person: _proposal_form(service, token))


@router.post("/r/{token}/propose", response_class=HTMLResponse)
def post_proposal(
    request: Request,
    token: str,
    what_happened: Annotated[str, TEXT] = "",
    learned: Annotated[str, TEXT] = "",
    roles: Annotated[list[str] | None, Form()] = None,
    credit: Annotated[str | None, Form()] = None,
):
    def save(service: Service, session: Session, person: Person) -> HTMLResponse:
        try:
            text = ProposalText(
                typed_text(what_happened, field="what happened", limit=LIMIT),
                typed_text(learned, field="what you learned", limit=LIMIT),
                tuple(roles or ()),
                credit == "yes",
            )
            saved = submit_proposal(service, session, person=person, text=text)
        except (FormProblem, ProposalError) as exc:  # the form comes back with everything they wrote
            given = {"what_happened": what_happened, "learned": learned, "roles": roles, "credit": credit}
            return _proposal_form(service, token, status=422, problem=str(exc), **given)
        return _thanks(service, saved, THANKS_PROPOSAL, token)

    return _as_writer(request, token, save)


@router.get("/r/{token}/moment", response_class=HTMLResponse)
def show_moment_form(request: Request, token: str):
    return _as_writer(request, token, lambda service, session, person: _moment_form(service, token))


@router.post("/r/{token}/moment", response_class=HTMLResponse)
def post_moment(
    request: Request,
    token: str,
    outcome: Annotated[str, Form(max_length=20)] = "",
    what_happened: Annotated[str, TEXT] = "",
    what_helped: Annotated[str, TEXT] = "",
    factors: Annotated[list[str] | None, Form()] = None,
):
    def save(service: Service, session: Session, person: Person) -> HTMLResponse:
        try:
            text = MomentText(
                outcome,
                typed_text(what_happened, field="what happened", limit=LIMIT),
                typed_text(what_helped, field="what helped or got in the way", limit=LIMIT),
                tuple(factors or ()),
            )
            saved = submit_moment(service, session, person=person, text=text)
        except (FormProblem, MomentError) as exc:
            given = {"outcome": outcome, "what_happened": what_happened, "what_helped": what_helped, "factors": factors}
            return _moment_form(service, token, status=422, problem=str(exc), **given)
        return _thanks(service, saved, THANKS_MOMENT, token)

    return _as_writer(request, token, save)
