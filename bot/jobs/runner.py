"""The ticks run in a process of their own, with a service of their own (engine and channels), so nothing
a tick does (synchronous database work, rendering, SMTP, chart drawing in C that keeps the interpreter
lock) can hold the event loop that must answer Slack within 3 seconds and serve reply pages. A thread is
not enough: matplotlib's renderer and other C code hold the interpreter lock for hundreds of
milliseconds, which stalls every other thread of the process."""

import asyncio
import os
import logging
import multiprocessing
import signal
from collections.abc import Callable
from multiprocessing.process import BaseProcess

from bot.core.service import Service
from bot.core.settings import Settings
from bot.jobs.scheduler import start_scheduler

log = logging.getLogger("lessonloop.jobs")


async def run_jobs(service: Service, stop: asyncio.Event, *, seconds: int = 60) -> None:
    """Tick until `stop` is set, then let a tick that is sending finish rather than leave its claims to expire."""
    scheduler = start_scheduler(service, seconds=seconds)
    try:
        await stop.wait()
    finally:
        scheduler.shutdown(wait=False)
        running = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
        if running:
            await asyncio.wait(running, timeout=60)
        await service.close()


def _child(make_service: Callable[[Settings], Service], settings: Settings, seconds: int) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # Below the web process on a busy machine: a tick can wait a moment, a Slack ack (3 s) or a page cannot.
    os.nice(JOBS_NICENESS)

    async def main() -> None:
        stop = asyncio.Event()
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
        await run_jobs(make_service(settings), stop, seconds=seconds)

    asyncio.run(main())


JOBS_NICENESS = 5


class JobsProcess:
    """`make_service` must be a module-level function (it is sent to the child by name)."""

    def __init__(self, make_service: Callable[[Settings], Service], settings: Settings, *, seconds: int = 60):
        self._args = (make_service, settings, seconds)
        self._process: BaseProcess | None = None

    def start(self) -> None:
        # spawn, not fork: the parent has threads (the server) that a fork would copy mid-step
        self._process = multiprocessing.get_context("spawn").Process(
            target=_child, args=self._args, name="lessonloop-jobs", daemon=True
        )
        self._process.start()

    def stop(self, timeout: float = 70.0) -> None:
        if self._process is None or not self._process.is_alive():
            return
        self._process.terminate()  # SIGTERM: the child finishes the tick it is in, then exits
        self._process.join(timeout)
        if self._process.is_alive():
            log.warning("the jobs process did not stop within %.0f s; killing it", timeout)
            self._process.kill()
            self._process.join()
