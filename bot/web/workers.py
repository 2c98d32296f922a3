"""The app each web process builds when `serve --workers N` runs several (uvicorn starts them from this
factory, so each has its own service, database pool, reply writer and share of every rate limit). The
scheduler and dispatcher are not here: `serve` runs them once, in their own process, whatever N is."""

import gc
import sys
from contextlib import asynccontextmanager

from fastapi import FastAPI

from bot.compose import build_service
from bot.core.pacing import share_limits_among
from bot.core.settings import Settings
from bot.core.switching import WEB_SWITCH_INTERVAL
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
    settle_web_process()
    return app


def settle_web_process() -> None:
    """Once the app is built, before the first request.

    Everything built so far (lessons, models, routes) lives as long as the process: it is moved out of the
    cyclic collector's sight, so a full collection during a burst of taps scans only what requests made.

    The reply writer's thread (bot.core.reply_writer) shares the interpreter lock with the event loop that
    acks Slack and answers pages. Each time the loop gives the lock up for a socket call, the writer may keep
    it for the whole switch interval before the loop gets it back; a shorter interval bounds that wait at
    1 ms instead of 5 ms per socket call, at the price of a few more lock hand-overs (bot.core.switching)."""
    gc.freeze()
    sys.setswitchinterval(WEB_SWITCH_INTERVAL)
