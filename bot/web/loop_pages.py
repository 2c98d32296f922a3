"""Pages for closing the loop (issue 13): the signed "no more reminders" link in a reminder email, and the
follow-up ("did you try it?") page, which also asks impact questions ("has it made a difference?", issue 17). As everywhere, a GET only shows a page; only a POST records anything."""

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse
from sqlmodel import Session, select

from bot.core.loop_sending import nudge_read_on
from bot.core.replying import FollowUpReply, ReplyError, safety_notice, save_followup, signed_delivery
from bot.core.signing import BadToken
from bot.web.form_input import FormProblem, normalised_text, typed_text
from bot.web.pages import bad_link_page, change_person, confirm_page, message_page, service_of
from digests.loop_messages import LoopLinks, LoopMessage, asked
from digests.render import render
from schedules.followups import BARRIER_LIMIT
from schedules.loop_store import set_reminders
from schedules.models import Delivery, FollowUpAnswer, Person

router = APIRouter()


@router.get("/reminders-off/{token}", response_class=HTMLResponse)
def show_reminders_off(request: Request, token: str):
    return confirm_page(
        request,
        "reminders",
        token,
        "No more reminders?",
        "You will not be reminded about unanswered lessons. Your weekly lessons continue.",
        action=f"/reminders-off/{token}",
        button="Stop reminders",
    )


@router.post("/reminders-off/{token}", response_class=HTMLResponse)
def reminders_off(request: Request, token: str):
    return change_person(
        request,
        "reminders",
        token,
        lambda session, person: set_reminders(session, person=person, on=False),
        "No more reminders. Your weekly lessons continue; you can switch reminders back on in Slack's Home tab or ask your lead.",
    )


def _followup(request: Request, session: Session, token: str) -> tuple[Delivery, LoopMessage]:
    delivery, lesson = signed_delivery(service_of(request), session, "followup", token)
    assert delivery.id is not None  # a stored delivery
    person = session.get(Person, delivery.person_id) if delivery.person_id else None
    name = person.name.split()[0] if person else ""
    if delivery.kind not in ("followup", "impact"):
        raise BadToken("this link is not for a follow-up or an impact question")
    return delivery, LoopMessage(
        delivery.kind, delivery.id, name, lesson, nudge_read_on(session, delivery), LoopLinks(f"/f/{token}", "")
    )


def _page(
    request: Request,
    token: str,
    message: LoopMessage,
    *,
    outcome: str | None,
    barrier: str,
    saved: bool = False,
    notice: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    put = asked(message.kind)
    page = render(
        "pages/followup.html.j2",
        heading=put.heading,
        question=put.question(message),
        action=f"/f/{token}",
        choices=put.choices,
        outcome=outcome,
        barrier=barrier,
        barrier_prompt=put.prompt,
        saved=saved,
        notice=notice,
        contact=service_of(request).settings.organisation_contact,
    )
    return HTMLResponse(page, status_code=status)


@router.get("/f/{token}", response_class=HTMLResponse)
def show_followup(request: Request, token: str, outcome: str | None = None):
    with Session(service_of(request).engine) as session:
        try:
            delivery, message = _followup(request, session, token)
        except BadToken as exc:
            return bad_link_page(exc)
        existing = session.exec(select(FollowUpAnswer).where(FollowUpAnswer.delivery_id == delivery.id)).first()
        chosen = outcome if outcome in dict(asked(message.kind).choices) else (existing.outcome if existing else None)
        return _page(request, token, message, outcome=chosen, barrier=(existing.barrier or "") if existing else "")


@router.post("/f/{token}", response_class=HTMLResponse)
def post_followup(
    request: Request, token: str, outcome: Annotated[str | None, Form()] = None, barrier: Annotated[str | None, Form()] = None
):  # length counted as the browser counts it, below
    service = service_of(request)
    with Session(service.engine) as session:
        try:
            delivery, message = _followup(request, session, token)
        except BadToken as exc:
            return bad_link_page(exc)
        assert delivery.id is not None  # a stored delivery
        try:
            field = "line on what got in the way" if delivery.kind == "followup" else "line you added"
            barrier = typed_text(barrier, field=field, limit=BARRIER_LIMIT) or None
        except FormProblem as exc:  # shown again with what they wrote, never a bare error page
            return _page(
                request, token, message, outcome=outcome, barrier=normalised_text(barrier), notice=str(exc), status=exc.status
            )
        try:
            saved = save_followup(service, session, delivery_id=delivery.id, answer=FollowUpReply(outcome or None, barrier))
        except ReplyError as exc:
            return message_page("Please try again", str(exc), 422)
        return _page(
            request,
            token,
            message,
            outcome=saved.answer.outcome,
            barrier=saved.answer.barrier or "",
            saved=True,
            notice=safety_notice(saved, service.settings.organisation_contact),
        )
