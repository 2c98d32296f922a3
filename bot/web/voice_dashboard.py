"""Dashboard pages for frontline voice (issue 17): the proposal review queue (safeguarding leads see their
agency's, admins every one) and practice-moment figures (in the viewer's usual scope). Sign-in and scope
come from bot.web.dashboard_auth, as for every dashboard page."""
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from sqlmodel import Session

from bot.core.proposal_review import accept, decline
from bot.core.voice_figures import MOMENT_DIMENSIONS, moments
from bot.web import dashboard_auth as auth
from bot.web.dashboard import SIGNED_OUT, _guarded
from bot.web.pages import message_page, service_of
from digests.render import render
from lesson_bank.taxonomy import load_taxonomy
from schedules.proposals import ProposalError, review_queue

router = APIRouter()
REVIEWERS = ("safeguarding_lead", "admin")


def _reviewer(request: Request, session: Session) -> auth.Viewer:
    who = auth.viewer(service_of(request), session, request.cookies.get(auth.COOKIE))
    if who is None:
        raise PermissionError("sign in")
    if who.access not in REVIEWERS:
        raise auth.Forbidden("lesson proposals are reviewed by safeguarding leads")
    return who


def _agency(who: auth.Viewer) -> str | None:
    return None if who.access == "admin" else who.agency


def _queue_page(request: Request, notice: str | None = None, status: int = 200):
    service = service_of(request)
    with Session(service.engine) as session:
        try:
            who = _reviewer(request, session)
        except auth.Forbidden as exc:
            return message_page("Not available", str(exc), 403)
        except PermissionError:
            return RedirectResponse(SIGNED_OUT, status_code=303)
        items = review_queue(session, agency=_agency(who))
    taxonomy = load_taxonomy()
    page = render("pages/proposals.html.j2", items=items, notice=notice, folder=service.settings.local_lessons,
                  themes=[(t, term.label) for t, term in taxonomy.themes.items()],
                  role_labels={r: term.label for r, term in taxonomy.roles.items()})
    return HTMLResponse(page, status_code=status)


@router.get("/dashboard/proposals", response_class=HTMLResponse)
def proposals_page(request: Request):
    return _queue_page(request)


@router.get("/dashboard/proposals.json")
def proposals_json(request: Request):
    service = service_of(request)
    with Session(service.engine) as session:
        try:
            who = _reviewer(request, session)
        except auth.Forbidden as exc:
            return JSONResponse({"error": str(exc)}, status_code=403)
        except PermissionError:
            return JSONResponse({"error": "sign in"}, status_code=401)
        return JSONResponse([item.as_dict() for item in review_queue(session, agency=_agency(who))])


def _review(request: Request, act) -> HTMLResponse | RedirectResponse:
    service = service_of(request)
    with Session(service.engine) as session:
        try:
            who = _reviewer(request, session)
            notice = act(service, session, who)
        except auth.Forbidden as exc:
            return message_page("Not available", str(exc), 403)
        except PermissionError:
            return RedirectResponse(SIGNED_OUT, status_code=303)
        except ProposalError as exc:
            return message_page("Not done", str(exc), 422)
    return _queue_page(request, notice)


@router.post("/dashboard/proposals/{proposal_id}/accept", response_class=HTMLResponse)
def accept_proposal(request: Request, proposal_id: int, theme: Annotated[str, Form(max_length=60)]):
    def act(service, session, who):
        path = accept(service, session, proposal_id=proposal_id, theme=theme, actor=who.email, agency=_agency(who))
        return f"Draft written: {path.name}. Complete it, lint it, then publish it."
    return _review(request, act)


@router.post("/dashboard/proposals/{proposal_id}/decline", response_class=HTMLResponse)
def decline_proposal(request: Request, proposal_id: int):
    def act(service, session, who):
        decline(service, session, proposal_id=proposal_id, actor=who.email, agency=_agency(who))
        return f"Proposal {proposal_id} declined."
    return _review(request, act)


@router.get("/dashboard/moments", response_class=HTMLResponse)
def moments_page(request: Request, team: str | None = None):
    start, end = request.query_params.get("from"), request.query_params.get("to")

    def build(service, session, who, where):
        tables = [moments(service, session, by=by, where=where) for by in MOMENT_DIMENSIONS]
        return HTMLResponse(render("pages/moments.html.j2", tables=tables, min_cell=service.settings.min_cell))

    return _guarded(request, start, end, team, build)
