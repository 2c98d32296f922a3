"""Supervision, with consent (issue 17 part 5). From their own record page (`/me/<token>`) a person shares a
stretch of their record with their supervisor, as a link they send themselves or one email to the
supervisor the roster names, and stops any share. The supervisor's page, `/shared/<token>`, shows only that
stretch of that person's commitments, reflections and follow-ups. POSTs pass the edge's Origin check
(bot/web/edge.py) like every form; the record link's signed token says whose record it is."""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session
from starlette.background import BackgroundTask

from bot.core.clock import utcnow
from bot.core.service import Service
from bot.core.signing import BadToken
from bot.core.supervision import ShareRefused, make_share, open_share, revoke_share
from bot.web.pages import bad_link_page, service_of
from bot.web.record_pages import PRIVATE, as_record_owner, record_page
from bot.web.supervision_mail import email_supervisor
from digests.render import render
from schedules.share_period import ShareChoiceError, describe, share_choice
from schedules.models import Person
from schedules.supervision import EMAIL

router = APIRouter()
CHOICE = Form(max_length=12)  # radio and select values; dates are written YYYY-MM-DD


@router.post("/me/{token}/share", response_class=HTMLResponse)
def post_share(
    request: Request,
    token: str,
    period: Annotated[str, CHOICE] = "",
    start: Annotated[str, CHOICE] = "",
    end: Annotated[str, CHOICE] = "",
    expiry: Annotated[str, CHOICE] = "",
    how: Annotated[str, CHOICE] = "",
):
    def share(service: Service, session: Session, person: Person, now: datetime) -> Response:
        try:
            choice = share_choice(period, start, end, expiry, now.date())
            made = make_share(service, session, person=person, choice=choice, how=how, now=now)
        except (ShareChoiceError, ShareRefused) as exc:  # the form comes back with their choices in it
            given = {"period": period, "start": start, "end": end, "expiry": expiry}
            return record_page(service, session, person, token, now, status=422, problem=str(exc), given=given)
        assert made.id is not None  # stored and committed
        answer = RedirectResponse(f"/me/{token}?{'sent' if how == EMAIL else 'shared'}={made.id}#sharing", status_code=303)
        if how == EMAIL:
            answer.background = BackgroundTask(email_supervisor, service, made.id)  # after the answer is sent
        return answer

    return as_record_owner(request, token, share)


@router.post("/me/{token}/shares/{share_id}/revoke", response_class=HTMLResponse)
def post_revoke(request: Request, token: str, share_id: int):
    def revoke(service: Service, session: Session, person: Person, now: datetime) -> Response:
        stopped = revoke_share(session, person=person, share_id=share_id, now=now)  # False: already stopped, or not theirs
        return RedirectResponse(f"/me/{token}{f'?revoked={share_id}' if stopped else ''}#sharing", status_code=303)

    return as_record_owner(request, token, revoke)


@router.get("/shared/{token}", response_class=HTMLResponse)
def show_shared(request: Request, token: str):
    service, now = service_of(request), utcnow()
    with Session(service.engine) as session:
        try:
            opened = open_share(service, session, token, now)
        except BadToken as exc:
            return bad_link_page(exc)
    record = opened.record
    page = render(
        "pages/shared_record.html.j2",
        record=record,
        period=describe(record.start, record.end),
        expires=f"{opened.expires_at:%-d %B %Y}",
    )
    return HTMLResponse(page, headers=PRIVATE)
