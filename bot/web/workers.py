"""The app each web process builds when `serve --workers N` runs several (uvicorn starts them from this
factory, so each has its own service, database pool, reply writer and share of every rate limit). The
scheduler and dispatcher are not here: `serve` runs them once, in their own process, whatever N is."""

import gc
from contextlib import asynccontextmanager

from fastapi import FastAPI

from bot.compose import build_service
from bot.core.pacing import share_limits_among
from bot.core.settings import Settings
from bot.web.app import create_app


def app_from_environment() -> FastAPI:
    """Settings come from the environment the parent process set up (LESSONLOOP_*), as for every command."""
    settings = Settings()
    share_limits_among(settings.web_workers)
    service = build_service(settings)

    @asynccontextmanager
    async def lifespan(_app):
        yield
        await service.close()  # writes every reply still queued

    app = create_app(service, lifespan)
    gc.freeze()  # as in a single-process serve: what lives as long as the process is out of the collector's sight
    return app
