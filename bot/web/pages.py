"""What every server-rendered page handler shares: the service on the app, and the one-message page."""

from fastapi import Request
from fastapi.responses import HTMLResponse

from bot.core.service import Service
from digests.render import render


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
