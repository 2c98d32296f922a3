"""Signed reply links and one-click unsubscribe. A GET (or HEAD, which some link scanners send) only shows
a page; only a POST records anything, so a reply is two clicks and a mail scanner can never answer."""
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse
from sqlmodel import Session, select

from bot.web.pages import bad_link_page, message_page, service_of
from bot.core.replying import Answer, ReplyError, UnknownDelivery, delivery_and_lesson, save_reply
from bot.core.service import Service
from bot.core.clock import utcnow
from bot.core.signing import BadToken
from digests.nudge import PRACTICE_CHOICES
from digests.render import render
from lesson_bank.model import Lesson
from schedules.models import Delivery, Person, PersonStatus, Reply
from schedules.privacy import set_status

router = APIRouter()


def _delivery(service: Service, session: Session, token: str) -> tuple[Delivery, Lesson]:
    """The delivery a link is bound to, and its lesson exactly as it was sent."""
    data = service.signer.verify("reply", token, utcnow())
    try:
        return delivery_and_lesson(service, session, data.subject_id)
    except UnknownDelivery as exc:
        raise BadToken(str(exc)) from None


def _int_or_none(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


@router.api_route("/r/{token}", methods=["GET", "HEAD"], response_class=HTMLResponse)
def show_reply(request: Request, token: str, check: str | None = None, practice: str | None = None):
    service = service_of(request)
    with Session(service.engine) as session:
        try:
            delivery, lesson = _delivery(service, session, token)
        except BadToken as exc:
            return bad_link_page(exc)
        existing = session.exec(select(Reply).where(Reply.delivery_id == delivery.id)).first()
        page = render(
            "pages/reply.html.j2", lesson=lesson, action=f"/r/{token}", practice_choices=PRACTICE_CHOICES,
            check=_int_or_none(check) or (existing.check_answer if existing else None),
            practice=practice or (existing.practice if existing else None),
            reflection=(existing.reflection or "") if existing else "", contact=service.settings.organisation_contact,
        )
        return HTMLResponse(page)


@router.post("/r/{token}", response_class=HTMLResponse)
def post_reply(
    request: Request, token: str,
    check: Annotated[str | None, Form()] = None,
    practice: Annotated[str | None, Form()] = None,
    reflection: Annotated[str | None, Form(max_length=2000)] = None,
):
    service = service_of(request)
    with Session(service.engine) as session:
        try:
            delivery, _lesson = _delivery(service, session, token)
        except BadToken as exc:
            return bad_link_page(exc)
        if check is not None and _int_or_none(check) is None:
            return message_page("Please try again", "The answer must be one of the options.", 422)
        answer = Answer(_int_or_none(check), practice or None, reflection)
        if answer.check_answer is None and answer.practice is None and not (reflection or "").strip():
            return message_page("Nothing to save", "Choose an answer or write a reflection, then press save.", 422)
        try:
            saved = save_reply(service, session, delivery_id=delivery.id, answer=answer)
        except ReplyError as exc:
            return message_page("Please try again", str(exc), 422)
        return HTMLResponse(render("pages/thanks.html.j2", reply=saved.reply, lesson=saved.lesson, action=f"/r/{token}",
                                   removed=saved.removed, live_concern=saved.live_concern,
                                   contact=service.settings.organisation_contact))


@router.api_route("/u/{token}", methods=["GET", "HEAD"], response_class=HTMLResponse)
def show_unsubscribe(request: Request, token: str):
    try:
        service_of(request).signer.verify("unsubscribe", token, utcnow())
    except BadToken as exc:
        return bad_link_page(exc)
    return message_page("Stop weekly lessons?", "You will get no more LessonLoop nudges. Your past answers stay anonymous.",
                    action=f"/u/{token}", button="Stop my weekly lessons")


@router.post("/u/{token}", response_class=HTMLResponse)
def one_click_unsubscribe(request: Request, token: str):
    """RFC 8058: mail clients POST `List-Unsubscribe=One-Click` here; it takes effect at once."""
    service = service_of(request)
    try:
        data = service.signer.verify("unsubscribe", token, utcnow())
    except BadToken as exc:
        return bad_link_page(exc)
    with Session(service.engine) as session:
        person = session.get(Person, data.subject_id)
        if person is not None:  # already forgotten: nothing left to stop
            set_status(session, person=person, status=PersonStatus.UNSUBSCRIBED)
            session.commit()
    return message_page("Done", "You will get no more LessonLoop nudges.")
