"""APScheduler only ticks: each tick asks the database what is due. Nothing is held in the scheduler."""

import asyncio
import logging

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.jobs.dispatcher import dispatch_due
from bot.jobs.planning import run_planning
from bot.jobs.retention import run_retention
from bot.core.service import Service
from bot.core.clock import utcnow
from bot.core.stats import refresh_rollup
from bot.teams.webhook import post_team_channels
from bot.jobs.weekly import send_weekly
from bot.jobs.voice_notices import send_published_notices

log = logging.getLogger("lessonloop.jobs")


async def tick(service: Service) -> None:
    result = await asyncio.to_thread(run_planning, service, utcnow(), keep_planned=False)
    stats = await dispatch_due(service, utcnow)
    await post_team_channels(service, utcnow())
    await asyncio.to_thread(refresh_rollup, service)
    agendas, digests = await send_weekly(service, utcnow())
    await send_published_notices(service, utcnow())  # issue 17: proposers hear when their lesson is published
    if agendas or digests:
        log.info("sent %d agenda items, %d lead digests", agendas, digests)
    if result.inserted or stats.sent or stats.failed or stats.retried:
        log.info("planned %d, sent %d, retry %d, failed %d", result.inserted, stats.sent, stats.retried, stats.failed)


def start_scheduler(service: Service, *, seconds: int = 60) -> AsyncIOScheduler:
    scheduler = AsyncIOScheduler(timezone="UTC")
    # coalesce + one instance: a slow tick is never run twice at once, missed ticks collapse into one.
    scheduler.add_job(
        tick, "interval", seconds=seconds, args=[service], id="tick", max_instances=1, coalesce=True, next_run_time=utcnow()
    )
    # Retention is idempotent (it deletes what is older than a cutoff), so a daily tick on every replica is safe.
    scheduler.add_job(
        asyncio.to_thread,
        "interval",
        hours=24,
        args=[run_retention, service],
        id="retention",
        max_instances=1,
        coalesce=True,
        next_run_time=utcnow(),
    )
    scheduler.start()
    return scheduler
