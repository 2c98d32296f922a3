"""Nothing a tick does holds the loop that answers Slack and serves pages. A probe task on the serving
loop measures how late it wakes up while a full tick (planning, dispatch of a few hundred nudges, channel
posts, the rollup, weekly emails) runs; the same probe shows the lag when the tick runs on that loop."""
import asyncio
import time
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlmodel import Session, func, select

from bot.compose import build_service
from bot.jobs.runner import JobsProcess
from bot.jobs.scheduler import tick
from schedules.models import Delivery
from tests.helpers import add_people

PEOPLE = 120
LIMIT = 0.100


class LoopProbe:
    """Wakes every 5 ms and records the worst lateness: what a Slack ack would have waited."""

    def __init__(self):
        self.worst = 0.0
        self._task: asyncio.Task | None = None

    async def _run(self):
        while True:
            before = time.perf_counter()
            await asyncio.sleep(0.005)
            self.worst = max(self.worst, time.perf_counter() - before - 0.005)

    def __enter__(self):
        self._task = asyncio.get_running_loop().create_task(self._run())
        return self

    def __exit__(self, *exc):
        self._task.cancel()


def roster(count: int) -> list[str]:
    """Everyone's slot is an hour ago, in a zone where it is now midday: due at the first tick, inside
    working hours, whenever the test runs."""
    now = datetime.now(timezone.utc)
    offset = (12 - now.hour + 12) % 24 - 12  # hours to add to UTC to reach about midday
    zone = "Etc/UTC" if offset == 0 else f"Etc/GMT{'-' if offset > 0 else '+'}{abs(offset)}"  # POSIX signs are reversed
    local = now.astimezone(ZoneInfo(zone)) - timedelta(hours=1)
    day = local.strftime("%a").lower()
    return [f"p{n}@example.org,Person {n},social-worker,Team {n % 5},Agency,{zone},{day},{local:%H}:00" for n in range(count)]


def sent(service) -> int:
    with Session(service.engine) as session:
        return session.exec(select(func.count()).select_from(Delivery).where(Delivery.status == "sent")).one()


async def _wait_until(check, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not await asyncio.to_thread(check):
        assert time.monotonic() < deadline, "the tick did not finish in time"
        await asyncio.sleep(0.05)


async def test_a_full_tick_in_the_jobs_process_never_holds_the_serving_loop(settings):
    service = build_service(settings)
    add_people(service.engine, roster(PEOPLE))
    jobs = JobsProcess(build_service, settings, seconds=3600)
    began = time.monotonic()
    with LoopProbe() as probe:
        jobs.start()  # in its own process; the scheduler's first tick runs at once
        await _wait_until(lambda: sent(service) >= PEOPLE)
        await asyncio.to_thread(jobs.stop)
    # What the machine alone does to the probe over as long (other processes, the OS): not the tick's doing.
    with LoopProbe() as quiet:
        await asyncio.sleep(min(time.monotonic() - began, 5))
    service.engine.dispose()
    assert sent(service) >= PEOPLE
    assert probe.worst < LIMIT + quiet.worst, f"the serving loop was held for {probe.worst * 1000:.0f} ms ({quiet.worst * 1000:.0f} ms idle)"


async def test_the_probe_sees_a_tick_run_on_the_serving_loop(settings):
    """The control: the same tick on the probed loop holds it well past the limit, so the test above
    would fail if the tick ran where Slack is answered."""
    service = build_service(settings)
    add_people(service.engine, roster(PEOPLE))
    with LoopProbe() as probe:
        await tick(service)
        await asyncio.sleep(0.02)
    await service.close()
    assert sent(service) >= PEOPLE
    assert probe.worst > LIMIT
