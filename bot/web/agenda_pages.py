"""The team lead's agenda page: GET shows the item and a form (mail scanners only ever GET);
POST records that the team discussed it and the action it agreed."""
import re
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse
from sqlmodel import Session

from bot.core.agenda import agenda_record, current_agenda, record_discussion
from bot.web.pages import bad_link_page, message_page
from bot.core.service import Service
from bot.core.clock import utcnow
from bot.core.signing import BadToken
from digests.agenda_render import agenda_markdown
from digests.render import markdown_html
from digests.render import render
from schedules.models import Team
from schedules.slots import week_key

router = APIRouter()
WEEK = re.compile(r"^\d{4}-W(0[1-9]|[1-4]\d|5[0-3])$")


def _team_and_week(service: Service, token: str, week: str | None) -> tuple[int, str]:
    team_id = service.signer.verify("agenda", token, utcnow()).subject_id
    week = week or week_key(utcnow().date())
    if not WEEK.match(week):
        raise ValueError(f"week '{week}' must be an ISO week such as 2026-W48")
    return team_id, week


def _page(service: Service, session: Session, token: str, team_id: int, week: str, status: int = 200) -> HTMLResponse:
    item = current_agenda(service, session, team_id=team_id, week=week)
    if item is None:
        return message_page("No agenda item", "There is no agenda item for this team and week.", 404)
    record = agenda_record(service, session, session.get(Team, team_id), week)
    body = markdown_html(agenda_markdown(item))
    return HTMLResponse(render("pages/agenda.html.j2", item=item, record=record, body=body,
                               action=f"/a/{token}?week={week}"), status_code=status)


@router.get("/a/{token}", response_class=HTMLResponse)
def show_agenda(request: Request, token: str, week: str | None = None):
    service: Service = request.app.state.service
    try:
        team_id, week = _team_and_week(service, token, week)
    except (BadToken, ValueError) as exc:
        return bad_link_page(exc)
    with Session(service.engine) as session:
        return _page(service, session, token, team_id, week)


@router.post("/a/{token}", response_class=HTMLResponse)
def post_agenda(request: Request, token: str, week: str | None = None,
                discussed: Annotated[str | None, Form()] = None,
                action_agreed: Annotated[str | None, Form(max_length=500)] = None):
    service: Service = request.app.state.service
    try:
        team_id, week = _team_and_week(service, token, week)
    except (BadToken, ValueError) as exc:
        return bad_link_page(exc)
    with Session(service.engine) as session:
        team = session.get(Team, team_id)
        record = team and agenda_record(service, session, team, week)
        if record is None:
            return message_page("No agenda item", "There is no agenda item for this team and week.", 404)
        record_discussion(session, record, discussed=discussed == "yes", action=action_agreed)
        return _page(service, session, token, team_id, week)
