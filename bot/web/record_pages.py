"""My learning record (issue 13): a private page per person, reached only by a signed link that names them
(in every email footer, App Home in Slack, a card action in Teams), and its PDF. There is no other way in:
no dashboard page, lead or admin role can open it. From it the person can share part of it with their
supervisor and stop sharing (issue 17 part 5, bot/web/supervision_pages.py)."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session

from bot.core.clock import utcnow
from bot.core.learning_records import PURPOSE, learning_record
from bot.core.service import Service
from bot.core.signing import BadToken
from bot.core.supervision import share_url
from bot.web.form_input import query_number
from bot.web.pages import bad_link_page, service_of
from digests.learning_record import RECORD_NOTE, LearningRecord
from digests.render import render
from schedules.models import Person
from schedules.share_period import DEFAULT_EXPIRY_DAYS, EXPIRIES, PERIODS, describe
from schedules.supervision import EMAIL, active_shares

router = APIRouter()
# The referrer policy is the edge's same-origin (bot/web/edge.py): the page now holds forms, and "no-referrer"
# would make browsers send `Origin: null` on their POSTs.
PRIVATE = {"Cache-Control": "private, no-store", "X-Robots-Tag": "noindex"}


def record_person(service: Service, session: Session, token: str, now: datetime) -> Person:
    """The person the record link was signed for. Raises BadToken."""
    data = service.signer.verify(PURPOSE, token, now)
    person = session.get(Person, data.subject_id)
    if person is None:
        raise BadToken("this record no longer exists")
    return person


def as_record_owner(request: Request, token: str, page: Callable[[Service, Session, Person, datetime], Response]) -> Response:
    """`page` for the person a record link was signed for, at one moment `now`; a bad or stale link gets the
    bad-link page."""
    service, now = service_of(request), utcnow()
    with Session(service.engine) as session:
        try:
            person = record_person(service, session, token, now)
        except BadToken as exc:
            return bad_link_page(exc)
        return page(service, session, person, now)


def _record(request: Request, token: str) -> LearningRecord:
    service = service_of(request)
    now = utcnow()
    with Session(service.engine) as session:
        return learning_record(service, session, record_person(service, session, token, now), now.date())


@dataclass(frozen=True)
class ShareRow:
    id: int
    period: str
    how: str
    expires: str
    url: str
    revoke: str


def record_page(
    service: Service,
    session: Session,
    person: Person,
    token: str,
    now: datetime,
    *,
    status: int = 200,
    problem: str | None = None,
    given: dict[str, str] | None = None,
    query: dict[str, str] | None = None,
) -> HTMLResponse:
    """The record with its sharing section; `given` is what the person chose (shown again on a problem),
    `query` the notice a redirect after sharing or revoking asks for."""
    assert person.id is not None  # a stored person
    record = learning_record(service, session, person, now.date())
    shares = [
        ShareRow(
            share.id or 0,
            describe(share.period_start, share.period_end),
            f"emailed to {share.sent_to}" if share.delivered == EMAIL else "a link you send",
            f"{share.expires_at:%-d %B %Y}",
            share_url(service, share),
            f"/me/{token}/shares/{share.id}/revoke",
        )
        for share in active_shares(session, person_id=person.id, now=now)
    ]
    query = query or {}
    fresh = query_number(query.get("shared")) or query_number(query.get("sent"))
    notice = None
    if query_number(query.get("sent")) and any(s.id == fresh for s in shares):
        notice = (
            f"We are emailing the link to your supervisor ({person.supervisor_email}). You can stop sharing at any time below."
        )
    elif fresh and any(s.id == fresh for s in shares):
        notice = "Your link is ready: copy it below and send it to your supervisor yourself. You can stop sharing at any time."
    elif query_number(query.get("revoked")):
        notice = "Stopped: that link no longer opens anything."
    given = given or {}
    page = render(
        "pages/learning_record.html.j2",
        record=record,
        pdf_url=f"/me/{token}/record.pdf",
        note=RECORD_NOTE,
        share_action=f"/me/{token}/share",
        supervisor=person.supervisor_email,
        periods=list(PERIODS.items()),
        expiries=list(EXPIRIES.items()),
        chosen_period=given.get("period") or "1m",
        chosen_start=given.get("start") or "",
        chosen_end=given.get("end") or "",
        chosen_expiry=given.get("expiry") or str(DEFAULT_EXPIRY_DAYS),
        problem=problem,
        notice=notice,
        shares=shares,
        fresh=fresh,
    )
    return HTMLResponse(page, status_code=status, headers=PRIVATE)


@router.get("/me/{token}", response_class=HTMLResponse)
def show_record(request: Request, token: str):
    query = dict(request.query_params)
    return as_record_owner(
        request, token, lambda service, session, person, now: record_page(service, session, person, token, now, query=query)
    )


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
