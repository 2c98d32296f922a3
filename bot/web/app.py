"""The ASGI app: reply pages, unsubscribe and health. Channels add their own routers."""
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from bot.web import agenda_pages

from bot.web import audit_page

from bot.web import dashboard

from bot.web import reply_pages
from bot.web.pages import not_found_page

from bot.teams import routes as teams_routes
from bot.core.service import Service


def create_app(service: Service, lifespan=None) -> FastAPI:
    app = FastAPI(title="LessonLoop", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.state.service = service

    @app.exception_handler(404)
    async def not_found(request: Request, exc: HTTPException):
        """People meet unknown addresses in a browser: an HTML page. API callers keep JSON."""
        if request.url.path.startswith("/api/") or "text/html" not in request.headers.get("accept", "text/html"):
            return JSONResponse({"detail": exc.detail}, status_code=404)
        return not_found_page()

    app.include_router(reply_pages.router)
    app.include_router(teams_routes.router)
    app.include_router(agenda_pages.router)
    app.include_router(audit_page.router)
    app.include_router(dashboard.router)
    if service.settings.slack_enabled:
        from bot.slack import app as slack_app

        app.include_router(slack_app.router(service))

    @app.get("/healthz")
    def healthz():
        try:
            with service.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except SQLAlchemyError as exc:
            return JSONResponse({"status": "error", "database": str(exc.__class__.__name__)}, status_code=503)
        return {"status": "ok", "lessons": len(service.lessons)}

    return app
