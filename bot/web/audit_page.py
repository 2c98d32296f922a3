"""/dashboard/audit: the audit log (admin actions and sign-ins), for admins only."""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlmodel import Session

from bot.web import dashboard_auth as auth
from bot.web.pages import message_page, service_of
from digests.render import render
from schedules import audit

router = APIRouter()


@router.get("/dashboard/audit", response_class=HTMLResponse)
def audit_log(request: Request):
    service = service_of(request)
    with Session(service.engine) as session:
        who = auth.viewer(service, session, request.cookies.get(auth.COOKIE))
        if who is None:
            return RedirectResponse("/dashboard/sign-in", status_code=303)
        if who.access != "admin":
            return message_page("Not available", "The audit log is for admins.", 403)
        events = audit.recent(session, limit=500)
        return HTMLResponse(render("pages/audit.html.j2", events=events))
