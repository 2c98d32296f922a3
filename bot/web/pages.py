"""What every server-rendered page handler shares: the service on the app, and the one-message page."""

from collections.abc import Callable

from fastapi import Request
from fastapi.responses import HTMLResponse
from sqlmodel import Session

from bot.core.clock import utcnow
from bot.core.service import Service
from bot.core.signing import BadToken
from digests.render import render
from schedules.models import Person


def service_of(request: Request) -> Service:
    return request.app.state.service


def message_page(
    heading: str, message: str, status: int = 200, *, action: str | None = None, button: str | None = None
) -> HTMLResponse:
    """A heading, a sentence, and optionally one button that POSTs to `action`."""
    page = render("pages/message.html.j2", heading=heading, message=message, action=action, button=button)
    return HTMLResponse(page, status_code=status)


def bad_link_page(problem: Exception | str) -> HTMLResponse:
    """The one page for a signed link that cannot be used (expired, altered, or its item gone)."""
    text = str(problem).rstrip(".")
    return message_page(
        "This link does not work",
        f"{text[:1].upper()}{text[1:]}. Links in LessonLoop messages expire after a while: the next message brings a fresh one.",
        400,
    )


def not_found_page() -> HTMLResponse:
    return message_page(
        "Page not found",
        "There is no page at this address. Check the link, or open the newest LessonLoop message and follow its link.",
        404,
    )


def confirm_page(
    request: Request, purpose: str, token: str, heading: str, message: str, *, action: str, button: str
) -> HTMLResponse:
    """A GET on a one-tap signed link (stop lessons, stop reminders): it only asks; the button POSTs to `action`
    (the same address), so a mail scanner following the link changes nothing."""
    try:
        service_of(request).signer.verify(purpose, token, utcnow())
    except BadToken as exc:
        return bad_link_page(exc)
    return message_page(heading, message, action=action, button=button)


def change_person(
    request: Request, purpose: str, token: str, change: Callable[[Session, Person], None], done: str
) -> HTMLResponse:
    """The POST of a one-tap signed link: `change` the person it names and say `done`. A person already
    forgotten has nothing left to change, and is told the same."""
    service = service_of(request)
    try:
        data = service.signer.verify(purpose, token, utcnow())
    except BadToken as exc:
        return bad_link_page(exc)
    with Session(service.engine) as session:
        person = session.get(Person, data.subject_id)
        if person is not None:
            change(session, person)
            session.commit()
    return message_page("Done", done)
