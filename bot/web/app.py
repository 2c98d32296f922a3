"""The ASGI app: reply pages, unsubscribe and health. Channels add their own routers."""

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse
from starlette.exceptions import HTTPException
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from bot.core.clock import utcnow
from schedules.delivery_health import relay_health

from bot.web import agenda_pages

from bot.web import audit_page

from bot.web import dashboard

from bot.web import reply_pages
from bot.web.edge import Edge
from bot.web.pages import message_page, not_found_page

from bot.web import loop_pages

from bot.web import record_pages

from bot.web import loop_dashboard

from bot.web import voice_pages

from bot.web import voice_dashboard

from bot.web import supervision_pages

from bot.teams import routes as teams_routes
from bot.core.service import Service


def create_app(service: Service, lifespan=None) -> FastAPI:
    # The API schema describes every route, tokens included: only for development.
    openapi = "/openapi.json" if service.settings.env.lower() in ("dev", "development") else None
    app = FastAPI(
        title="LessonLoop", lifespan=lifespan, docs_url="/docs" if openapi else None, redoc_url=None, openapi_url=openapi
    )
    app.state.service = service
    app.add_middleware(Edge, base_url=service.settings.base_url)

    @app.exception_handler(RequestValidationError)
    async def unreadable_request(request: Request, exc: RequestValidationError) -> HTMLResponse:
        """A page, never a raw JSON 422: say which field, and nothing of what was sent."""
        fields = ", ".join(sorted({str(error["loc"][-1]) for error in exc.errors()}))
        return message_page("Please check the request", f"These fields could not be read: {fields}.", 400)

    @app.exception_handler(404)
    async def not_found(request: Request, exc: HTTPException):
        """People meet unknown addresses in a browser: an HTML page. API callers keep JSON."""
        if request.url.path.startswith("/api/") or "text/html" not in request.headers.get("accept", "text/html"):
            return JSONResponse({"detail": exc.detail}, status_code=404)
        return not_found_page()

    # Routes are matched in order: the chat platforms' endpoints first, since Slack waits at most 3 s for an
    # answer and they take the most requests (a burst of taps no longer walks every page route first).
    if service.settings.slack_enabled:
        from bot.slack import app as slack_app

        app.include_router(slack_app.router(service))
    app.include_router(teams_routes.router)
    app.include_router(reply_pages.router)
    app.include_router(agenda_pages.router)
    app.include_router(audit_page.router)
    app.include_router(loop_dashboard.router)
    app.include_router(dashboard.router)
    app.include_router(loop_pages.router)
    app.include_router(record_pages.router)
    app.include_router(voice_pages.router)  # issue 17
    app.include_router(voice_dashboard.router)
    app.include_router(supervision_pages.router)  # issue 17 part 5

    @app.get("/healthz")
    def healthz():
        """200 while the app and its database work. `delivery` says how email is going (state ok, behind or
        failing; last success, failed attempts since, messages waiting and the oldest): a failing relay
        makes the status "degraded" but not a 503, since replies and pages still work. No error texts
        here: they can name a recipient, and this page is public."""
        now = utcnow()
        try:
            with service.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
            with Session(service.engine) as session:
                delivery = relay_health(session, now=now).as_dict(now)
        except SQLAlchemyError as exc:
            return JSONResponse({"status": "error", "database": str(exc.__class__.__name__)}, status_code=503)
        status = "ok" if delivery["state"] == "ok" else "degraded"
        return {"status": status, "lessons": len(service.lessons), "delivery": delivery}

    return app
