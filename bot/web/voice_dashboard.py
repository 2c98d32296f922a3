"""Dashboard pages for frontline voice (issue 17): the proposal review queue and "you said, we did" notes
(safeguarding leads see their agency's, admins every one) and practice-moment figures (in the viewer's usual scope). Sign-in and scope
come from bot.web.dashboard_auth, as for every dashboard page."""

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from sqlmodel import Session

from bot.core.proposal_review import accept, decline
from bot.core.service import Service
from bot.core.voice_figures import MOMENT_DIMENSIONS, moments
from bot.web import dashboard_auth as auth
from bot.web.dashboard import SIGNED_OUT, _guarded
from bot.web.pages import message_page, service_of
from digests.render import render
from lesson_bank.taxonomy import load_taxonomy
from bot.core.clock import utcnow
from schedules import audit
from schedules.proposals import ProposalError, review_queue
from schedules.said_did import AUDIENCES, NoteError, add_note, list_notes

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


def _for_reviewer(request: Request, page: Callable[[Service, Session, auth.Viewer], Response]) -> Response:
    """`page` for a signed-in safeguarding lead or admin; anyone else is sent to sign in or told it is not theirs."""
    service = service_of(request)
    with Session(service.engine) as session:
        try:
            who = _reviewer(request, session)
        except auth.Forbidden as exc:
            return message_page("Not available", str(exc), 403)
        except PermissionError:
            return RedirectResponse(SIGNED_OUT, status_code=303)
        return page(service, session, who)


def _queue_page(request: Request, notice: str | None = None, status: int = 200) -> Response:
    def page(service: Service, session: Session, who: auth.Viewer) -> Response:
        taxonomy = load_taxonomy()
        return HTMLResponse(
            render(
                "pages/proposals.html.j2",
                items=review_queue(session, agency=_agency(who)),
                notice=notice,
                folder=service.settings.local_lessons,
                themes=[(t, term.label) for t, term in taxonomy.themes.items()],
                role_labels={r: term.label for r, term in taxonomy.roles.items()},
            ),
            status_code=status,
        )

    return _for_reviewer(request, page)


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


def _review(request: Request, act) -> Response:
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


def _said_did_page(
    request: Request, *, status: int = 200, problem: str | None = None, notice: str | None = None, **given
) -> Response:
    def page(service: Service, session: Session, who: auth.Viewer) -> Response:
        taxonomy = load_taxonomy()
        return HTMLResponse(
            render(
                "pages/said_did.html.j2",
                notes=list_notes(session, scope_agency=_agency(who)),
                proposals=review_queue(session, agency=_agency(who)),
                problem=problem,
                notice=notice,
                audiences=AUDIENCES,
                themes=[(t, term.label) for t, term in taxonomy.themes.items()],
                factors=[(f, term.label) for f, term in taxonomy.factors.items()],
                about=given.get("about", ""),
                audience_kind=given.get("audience_kind", "agency"),
                audience=given.get("audience", ""),
                text=given.get("text", ""),
            ),
            status_code=status,
        )

    return _for_reviewer(request, page)


@router.get("/dashboard/said-did", response_class=HTMLResponse)
def said_did_page(request: Request):
    return _said_did_page(request)


@router.post("/dashboard/said-did", response_class=HTMLResponse)
def add_said_did(
    request: Request,
    about: Annotated[str, Form(max_length=100)],
    audience_kind: Annotated[str, Form(max_length=10)],
    audience: Annotated[str, Form(max_length=120)],
    text: Annotated[str, Form(max_length=600)],
):
    service = service_of(request)
    about_kind, _, about_id = about.partition(":")
    with Session(service.engine) as session:
        try:
            who = _reviewer(request, session)
            note = add_note(
                session,
                about_kind=about_kind,
                about=about_id,
                audience_kind=audience_kind,
                audience=audience.strip(),
                text=text,
                author=who.email,
                scope_agency=_agency(who),
                now=utcnow(),
            )
            audit.record(
                session,
                actor=who.email,
                action="said_did.add",
                detail=f"note {note.id} to {audience_kind} {audience}",
                now=utcnow(),
            )
            session.commit()
        except auth.Forbidden as exc:
            return message_page("Not available", str(exc), 403)
        except PermissionError:
            return RedirectResponse(SIGNED_OUT, status_code=303)
        except NoteError as exc:  # the form comes back with what was written
            return _said_did_page(
                request, status=422, problem=str(exc), about=about, audience_kind=audience_kind, audience=audience, text=text
            )
    return _said_did_page(request, notice="Saved: it goes out with each person's next weekly lesson.")
