"""The team lead's agenda page: GET shows the item and a form (mail scanners only ever GET, so a GET
writes nothing); POST records that the team discussed it and the action it agreed. The link is signed
for one team and one week."""

import re
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse
from sqlmodel import Session

from bot.core.agenda import agenda_record, agenda_team, current_agenda, record_discussion
from bot.web.form_input import FormProblem, normalised_text, typed_text
from bot.web.pages import bad_link_page, message_page
from bot.core.service import Service
from bot.core.clock import utcnow
from bot.core.signing import BadToken
from digests.agenda_render import agenda_markdown
from digests.render import markdown_html
from digests.render import render
from schedules.models import AgendaRecord, Team

router = APIRouter()
WEEK = re.compile(r"^\d{4}-W(0[1-9]|[1-4]\d|5[0-3])$")
ACTION_LIMIT = 500


def _team_and_week(service: Service, token: str, week: str | None) -> tuple[int, str]:
    if not week or not WEEK.match(week):
        raise ValueError(f"week '{week or ''}' must be an ISO week such as 2026-W48")
    return agenda_team(service, token, week, utcnow()), week


def _page(
    service: Service,
    session: Session,
    token: str,
    team_id: int,
    week: str,
    *,
    store: bool,
    record: AgendaRecord | None = None,
    typed: str | None = None,
    error: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    item = current_agenda(service, session, team_id=team_id, week=week, store=store)
    if item is None:
        return message_page("No agenda item", "There is no agenda item for this team and week.", 404)
    if record is None:
        team = session.get(Team, team_id)
        assert team is not None  # current_agenda found an item for this team
        record = agenda_record(service, session, team, week, store=store)
        assert record is not None  # and so a record: the item is made from it
    body = markdown_html(agenda_markdown(item))
    action_text = typed if typed is not None else (record.action_agreed or "")
    return HTMLResponse(
        render(
            "pages/agenda.html.j2",
            item=item,
            record=record,
            body=body,
            error=error,
            action_text=action_text,
            limit=ACTION_LIMIT,
            action=f"/a/{token}?week={week}",
        ),
        status_code=status,
    )


@router.get("/a/{token}", response_class=HTMLResponse)
def show_agenda(request: Request, token: str, week: str | None = None):
    service: Service = request.app.state.service
    try:
        team_id, week = _team_and_week(service, token, week)
    except (BadToken, ValueError) as exc:
        return bad_link_page(exc)
    with Session(service.engine) as session:
        return _page(service, session, token, team_id, week, store=False)


@router.post("/a/{token}", response_class=HTMLResponse)
def post_agenda(
    request: Request,
    token: str,
    week: str | None = None,
    discussed: Annotated[str | None, Form()] = None,
    action_agreed: Annotated[str | None, Form()] = None,
):  # counted as the browser counts, below
    service: Service = request.app.state.service
    try:
        team_id, week = _team_and_week(service, token, week)
    except (BadToken, ValueError) as exc:
        return bad_link_page(exc)
    with Session(service.engine) as session:
        team = session.get(Team, team_id)
        record = agenda_record(service, session, team, week) if team is not None else None
        if record is None:
            return message_page("No agenda item", "There is no agenda item for this team and week.", 404)
        try:
            action = typed_text(action_agreed, field="agreed action", limit=ACTION_LIMIT) if action_agreed is not None else None
        except FormProblem as exc:
            return _page(
                service,
                session,
                token,
                team_id,
                week,
                store=True,
                record=record,
                typed=normalised_text(action_agreed),
                error=str(exc),
                status=exc.status,
            )
        record_discussion(session, record, discussed=discussed == "yes", action=action)
        return _page(service, session, token, team_id, week, store=True)
