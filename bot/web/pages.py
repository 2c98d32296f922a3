"""What every server-rendered page handler shares: the service on the app, and the one-message page."""
from fastapi import Request
from fastapi.responses import HTMLResponse

from bot.core.service import Service
from digests.render import render


def service_of(request: Request) -> Service:
    return request.app.state.service


def message_page(heading: str, message: str, status: int = 200, *, action: str | None = None,
                 button: str | None = None) -> HTMLResponse:
    """A heading, a sentence, and optionally one button that POSTs to `action`."""
    page = render("pages/message.html.j2", heading=heading, message=message, action=action, button=button)
    return HTMLResponse(page, status_code=status)
