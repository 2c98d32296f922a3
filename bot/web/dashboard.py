"""The safeguarding leads' dashboard: sign-in by emailed link, server-rendered pages with charts, and a
CSV of every table. Every figure comes from the same suppressed tables as the CLI and the digest."""

from datetime import date
from urllib.parse import urlencode
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup
from sqlmodel import Session

from starlette.background import BackgroundTask

from bot.web import dashboard_auth as auth
from bot.web import sign_in_requests as requests
from bot.web.pages import bad_link_page, message_page, service_of
from bot.core.clock import utcnow
from bot.core.signing import BadToken
from bot.core.stats import BadDimension, barriers, overview, stats_table
from digests.barriers import barriers_csv
from digests.charts import chart, rate_series
from digests.render import render
from digests.statistics import as_csv, as_dict, fatigue
from schedules import audit
from schedules.statistics import DIMENSIONS, Filter

router = APIRouter()
SIGNED_OUT = "/dashboard/sign-in"


@router.get("/dashboard/sign-in", response_class=HTMLResponse)
def sign_in_form():
    return HTMLResponse(render("pages/signin.html.j2", action="/dashboard/sign-in", sent=False))


@router.post("/dashboard/sign-in", response_class=HTMLResponse)
async def request_link(request: Request, email: Annotated[str, Form(max_length=254)]):
    """The same answer, in the same time, whether or not the address may sign in (bot/web/sign_in_requests.py)."""
    service = service_of(request)
    limits = getattr(request.app.state, "sign_in_limits", None)
    if limits is None:
        limits = request.app.state.sign_in_limits = requests.RequestLimits()
    address, client = requests.normalised(email), request.client.host if request.client else "unknown"
    if not limits.allow(address, client):
        return message_page("Please wait", "Too many sign-in requests. Please try again in 15 minutes.", 429)
    requests.record_request(service, address, client)
    page = HTMLResponse(render("pages/signin.html.j2", action="/dashboard/sign-in", sent=True))
    page.background = BackgroundTask(requests.send_link, service, address)  # runs after the answer is sent
    return page


@router.get("/dashboard/s/{token}", response_class=HTMLResponse)
def confirm_sign_in(request: Request, token: str):
    try:
        service_of(request).signer.verify("signin", token, utcnow())
    except BadToken as exc:
        return bad_link_page(exc)
    return HTMLResponse(
        render(
            "pages/message.html.j2",
            heading="Sign in to the dashboard",
            message="Press the button to sign in.",
            action=f"/dashboard/s/{token}",
            button="Sign in",
        )
    )


@router.post("/dashboard/s/{token}")
def sign_in(request: Request, token: str):
    service = service_of(request)
    with Session(service.engine) as session:
        try:
            cookie = auth.redeem(service, session, token, utcnow())
        except BadToken as exc:
            return bad_link_page(exc)
    response = RedirectResponse("/dashboard", status_code=303)
    secure = service.settings.base_url.startswith("https://")
    response.set_cookie(
        auth.COOKIE, cookie, max_age=int(auth.SESSION_LIFETIME.total_seconds()), httponly=True, samesite="lax", secure=secure
    )
    return response


@router.post("/dashboard/sign-out")
def sign_out(request: Request):
    """The cookie is removed; the browser is sent back to the sign-in page."""
    service = service_of(request)
    with Session(service.engine) as session:
        who = auth.viewer(service, session, request.cookies.get(auth.COOKIE))
        if who is not None:
            audit.record(session, actor=who.email, action="dashboard.sign_out", now=utcnow())
            session.commit()
    response = RedirectResponse(SIGNED_OUT, status_code=303)
    response.delete_cookie(auth.COOKIE, httponly=True, samesite="lax", secure=service.settings.base_url.startswith("https://"))
    return response


def _window(start: str | None, end: str | None) -> Filter:
    try:
        return Filter(date.fromisoformat(start) if start else None, date.fromisoformat(end) if end else None)
    except ValueError:
        raise BadDimension("'from' and 'to' must be dates such as 2026-11-01") from None


def _svg(title: str, table, rates: dict[str, str], kind: str = "bar") -> Markup:
    labels, series = rate_series(table, rates)
    if not labels:
        return Markup("<p class='note'>No data yet.</p>")
    svg = chart(title, labels, series, kind=kind, fmt="svg").decode("utf-8")
    return Markup(svg[svg.index("<svg") :])  # drop the XML prologue: the SVG sits inside the page


def _scope(request: Request, session: Session, start, end, team) -> tuple[auth.Viewer, Filter]:
    service = service_of(request)
    who = auth.viewer(service, session, request.cookies.get(auth.COOKIE))
    if who is None:
        raise PermissionError("sign in")
    return who, auth.scoped(session, who, _window(start, end), team)


def _guarded(request: Request, start, end, team, build):
    service = service_of(request)
    with Session(service.engine) as session:
        try:
            who, where = _scope(request, session, start, end, team)
            return build(service, session, who, where)
        except auth.Forbidden as exc:
            return message_page("Not available", str(exc), 403)
        except BadDimension as exc:
            return message_page("Please check the request", str(exc), 422)
        except PermissionError:
            return RedirectResponse(SIGNED_OUT, status_code=303)


def csv_download(body: str, filename: str) -> Response:
    """A dashboard table as a CSV file the browser saves rather than shows."""
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get("/dashboard", response_class=HTMLResponse)
def dashboard(request: Request, team: str | None = None, by: str = "team"):
    start, end = request.query_params.get("from"), request.query_params.get("to")

    def build(service, session, who, where):
        view = overview(service, session, where=where)
        extra = (
            stats_table(service, session, by=by, where=where, refresh_first=False, total=view.total)
            if by in DIMENSIONS and by not in ("week", "theme", "role")
            else None
        )
        charts = {
            "week": _svg(
                "Reply rate and practice change by week",
                view.week,
                {"reply_rate": "Reply rate", "changed_share": "Changed practice"},
                "line",
            ),
            "theme": _svg("Practice by theme", view.theme, {"changed_share": "Changed", "not_yet_share": "Not yet"}),
            "role": _svg("By role", view.role, {"reply_rate": "Reply rate", "changed_share": "Changed practice"}),
        }
        tables = [("week", view.week), ("theme", view.theme), ("role", view.role)] + ([(by, extra)] if extra else [])
        query = urlencode([(k, v) for k, v in (("from", start), ("to", end), ("team", team)) if v])  # names are data
        return HTMLResponse(
            render(
                "pages/dashboard.html.j2",
                who=who,
                total=as_dict(view.week)["total"],
                charts=charts,
                tables=[(name, as_dict(t)) for name, t in tables],
                barriers=view.barriers,
                fatigue=fatigue(view.week),
                min_cell=service.settings.min_cell,
                query=query,
            )
        )

    return _guarded(request, start, end, team, build)


@router.get("/dashboard/{by}.csv")
def table_csv(request: Request, by: str, team: str | None = None):
    start, end = request.query_params.get("from"), request.query_params.get("to")

    def build(service, session, who, where):
        if by == "barriers":
            return csv_download(barriers_csv(barriers(service, session, where=where)), f"lessonloop-{by}.csv")
        return csv_download(as_csv(stats_table(service, session, by=by, where=where)), f"lessonloop-{by}.csv")

    return _guarded(request, start, end, team, build)
