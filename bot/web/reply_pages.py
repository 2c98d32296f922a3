"""Signed reply links and one-click unsubscribe. A GET (or HEAD, which some link scanners send) only shows
a page; only a POST records anything, so a reply is two clicks and a mail scanner can never answer."""

import logging
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, select

from bot.web.pages import bad_link_page, change_person, confirm_page, message_page, service_of
from bot.core.replying import Answer, ReplyError, ReplyRequest, UnknownDelivery, signed_delivery
from bot.core.reply_writer import reply_writer
from bot.core.service import Service
from bot.core.clock import utcnow
from bot.core.signing import BadToken
from bot.web.form_input import FormProblem, normalised_text, posted_form, query_number, small_number, typed_text
from digests.loop_messages import checkin_practice_question, theme_of
from digests.nudge import PRACTICE_CHOICES
from digests.slack_nudge import REFLECTION_LIMIT
from digests.render import render
from lesson_bank.model import Lesson
from schedules.models import PersonStatus, Reply
from schedules.privacy import set_status
from schedules.rollout import CHECKIN

router = APIRouter()
log = logging.getLogger("lessonloop.web")


def _form_page(
    service: Service,
    token: str,
    lesson: Lesson,
    *,
    checkin: bool,
    check: int | None,
    practice: str | None,
    reflection: str,
    error: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    """The reply form, filled in with what the person chose and wrote (shown again after any problem)."""
    page = render(
        "pages/reply.html.j2",
        lesson=lesson,
        # a roll-out check-in (issue 13, part 5) names its theme, not the lesson it borrows its question from
        heading=f"A two-tap check-in: {theme_of(lesson)}" if checkin else lesson.title,
        practice_question=checkin_practice_question(lesson) if checkin else "Did this change your practice?",
        action=f"/r/{token}",
        practice_choices=PRACTICE_CHOICES,
        check=check,
        practice=practice,
        reflection=reflection,
        error=error,
        limit=REFLECTION_LIMIT,
        contact=service.settings.organisation_contact,
    )
    return HTMLResponse(page, status_code=status)


@router.api_route("/r/{token}", methods=["GET", "HEAD"], response_class=HTMLResponse)
def show_reply(request: Request, token: str, check: str | None = None, practice: str | None = None):
    service = service_of(request)
    with Session(service.engine) as session:
        try:
            delivery, lesson = signed_delivery(service, session, "reply", token)
        except BadToken as exc:
            return bad_link_page(exc)
        existing = session.exec(select(Reply).where(Reply.delivery_id == delivery.id)).first()
        return _form_page(
            service,
            token,
            lesson,
            checkin=delivery.kind == CHECKIN,
            check=query_number(check) or (existing.check_answer if existing else None),
            practice=practice or (existing.practice if existing else None),
            reflection=(existing.reflection or "") if existing else "",
        )


async def post_reply(request: Request) -> HTMLResponse:
    """Answers "thanks" only once the reply is committed: the reply writer saves the answers arriving together
    in one transaction (bot.core.reply_writer), so this never holds a connection or the write lock itself.
    Nothing is read before the save: the writer loads the delivery anyway (and refuses a gone one), so the
    token alone says which delivery; the form is read back from the database only to show a problem."""
    token = request.path_params["token"]
    form = await posted_form(request)
    check, practice, reflection = form.get("check"), form.get("practice"), form.get("reflection")
    service = service_of(request)
    try:
        delivery_id = service.signer.verify("reply", token, utcnow()).subject_id
    except BadToken as exc:
        return bad_link_page(exc)
    text = normalised_text(reflection)

    def again(error: str, status: int) -> HTMLResponse:
        try:
            with Session(service.engine) as session:
                delivery, lesson = signed_delivery(service, session, "reply", token)
        except BadToken as exc:
            return bad_link_page(exc)
        except SQLAlchemyError:  # the database is away: still hand the person back what they wrote
            keep = f" What you wrote, to copy: {text}" if text.strip() else ""
            return message_page("We could not save this just now", f"Please try again in a minute.{keep}", 503)
        return _form_page(
            service,
            token,
            lesson,
            checkin=delivery.kind == CHECKIN,
            check=query_number(check),
            practice=practice,
            reflection=text,
            error=error,
            status=status,
        )

    try:
        text = typed_text(reflection, field="reflection", limit=REFLECTION_LIMIT)
        answer = Answer(small_number(check, field="answer"), practice or None, text or None)
    except FormProblem as exc:
        return again(str(exc), exc.status)
    if answer.check_answer is None and answer.practice is None and not text.strip():
        return again("Choose an answer or write a reflection, then press save.", 422)
    try:
        saved = await reply_writer(service).save_async(ReplyRequest(delivery_id, answer))
    except UnknownDelivery as exc:
        return bad_link_page(exc)
    except ReplyError as exc:
        return again(f"Please try again: {exc}.", 422)
    except SQLAlchemyError as exc:
        # Only the kind of error: a database message can quote the reflection it was given.
        log.error("reply to delivery %s not saved: database error %s", delivery_id, type(exc).__name__)
        return again("We could not save this just now. Your text is below: please try again in a minute.", 503)
    return HTMLResponse(
        render(
            "pages/thanks.html.j2",
            checkin=saved.delivery.kind == CHECKIN,
            reply=saved.reply,
            lesson=saved.lesson,
            action=f"/r/{token}",
            removed=saved.removed,
            live_concern=saved.live_concern,
            contact=service.settings.organisation_contact,
        )
    )


# A plain route: FastAPI's Form() dependencies cost about a fifth of a reply POST's time in the web process.
router.add_route("/r/{token}", post_reply, methods=["POST"])


@router.api_route("/u/{token}", methods=["GET", "HEAD"], response_class=HTMLResponse)
def show_unsubscribe(request: Request, token: str):
    return confirm_page(
        request,
        "unsubscribe",
        token,
        "Stop weekly lessons?",
        "You will get no more LessonLoop nudges. Your past answers stay anonymous.",
        action=f"/u/{token}",
        button="Stop my weekly lessons",
    )


@router.post("/u/{token}", response_class=HTMLResponse)
def one_click_unsubscribe(request: Request, token: str):
    """RFC 8058: mail clients POST `List-Unsubscribe=One-Click` here; it takes effect at once."""
    return change_person(
        request,
        "unsubscribe",
        token,
        lambda session, person: set_status(session, person=person, status=PersonStatus.UNSUBSCRIBED),
        "You will get no more LessonLoop nudges.",
    )
