"""My learning record (issue 13): a private page per person, reached only by a signed link that names them
(in every email footer, App Home in Slack, a card action in Teams), and its PDF. There is no other way in:
no dashboard page, lead or admin role can open it."""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session

from bot.core.clock import utcnow
from bot.core.learning_records import PURPOSE, learning_record
from bot.core.signing import BadToken
from bot.web.pages import bad_link_page, service_of
from digests.learning_record import RECORD_NOTE, LearningRecord
from digests.render import render
from schedules.models import Person

router = APIRouter()
PRIVATE = {"Cache-Control": "private, no-store", "Referrer-Policy": "no-referrer", "X-Robots-Tag": "noindex"}


def _record(request: Request, token: str) -> LearningRecord:
    service = service_of(request)
    now = utcnow()
    data = service.signer.verify(PURPOSE, token, now)
    with Session(service.engine) as session:
        person = session.get(Person, data.subject_id)
        if person is None:
            raise BadToken("this record no longer exists")
        return learning_record(service, session, person, now.date())


@router.get("/me/{token}", response_class=HTMLResponse)
def show_record(request: Request, token: str):
    try:
        record = _record(request, token)
    except BadToken as exc:
        return bad_link_page(exc)
    page = render("pages/learning_record.html.j2", record=record, pdf_url=f"/me/{token}/record.pdf", note=RECORD_NOTE)
    return HTMLResponse(page, headers=PRIVATE)


@router.get("/me/{token}/record.pdf")
def download_record(request: Request, token: str):
    try:
        record = _record(request, token)
    except BadToken as exc:
        return bad_link_page(exc)
    from digests.record_pdf import record_pdf  # fpdf2 is imported when a PDF is first asked for, not at start-up

    filename = f"learning-record-{record.made_on.isoformat()}.pdf"
    return Response(
        record_pdf(record),
        media_type="application/pdf",
        headers=PRIVATE | {"Content-Disposition": f'attachment; filename="{filename}"'},
    )
