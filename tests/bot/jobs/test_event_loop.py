"""Nothing a tick does holds the loop that answers Slack and serves pages. On the serving loop, any
callback that holds it longer than 100 ms is reported while a full tick (planning,
dispatch of a hundred nudges, channel posts, the rollup, weekly emails) runs in the jobs process; the same
probe reports the tick when it runs on that loop, so the test can fail."""

import asyncio
import time
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlmodel import Session, func, select

from bot.compose import build_service
from bot.jobs.runner import JobsProcess
from schedules.models import Delivery
from tests.helpers import add_people

PEOPLE = 120
LIMIT = 0.100


def _runqueue_wait() -> float:
    """Seconds this thread has spent runnable but waiting for a CPU (Linux schedstat); 0 where not known."""
    try:
        with open("/proc/thread-self/schedstat") as stats:
            return int(stats.read().split()[1]) / 1e9
    except (OSError, IndexError, ValueError):
        return 0.0


class LoopProbe:
    """Times every callback the serving loop runs and reports those that held it longer than LIMIT:
    exactly "a callback held the loop". A callback's wall time also counts the operating system not
    running this thread on a busy machine (it failed CI that way, at 100-250 ms, with nothing on the loop
    but this test's own waits), which no code can fix: the time the thread waited for a CPU meanwhile is
    taken off. Blocking calls (a sleep, a synchronous query) still count in full: they wait off the CPU."""

    def __init__(self):
        self.slow: list[float] = []
        self.what: list[str] = []

    @property
    def worst(self) -> float:
        return max(self.slow, default=0.0)

    def __enter__(self):
        self._run = run = asyncio.events.Handle._run
        probe = self

        def timed(handle: asyncio.events.Handle) -> None:
            began, waited = time.perf_counter(), _runqueue_wait()
            run(handle)
            held = time.perf_counter() - began - (_runqueue_wait() - waited)
            if held > LIMIT:
                probe.slow.append(held)
                probe.what.append(repr(handle)[:300])

        asyncio.events.Handle._run = timed  # type: ignore[method-assign]
        return self

    def __exit__(self, *exc):
        asyncio.events.Handle._run = self._run  # type: ignore[method-assign]


def roster(count: int, first: int = 0) -> list[str]:
    """Everyone's slot is an hour ago, in a zone where it is now midday: due at the first tick, inside
    working hours, whenever the test runs."""
    now = datetime.now(timezone.utc)
    offset = (12 - now.hour + 12) % 24 - 12  # hours to add to UTC to reach about midday
    zone = "Etc/UTC" if offset == 0 else f"Etc/GMT{'-' if offset > 0 else '+'}{abs(offset)}"  # POSIX signs are reversed
    local = now.astimezone(ZoneInfo(zone)) - timedelta(hours=1)
    day = local.strftime("%a").lower()
    return [
        f"p{n}@example.org,Person {n},social-worker,Team {n % 5},Agency,{zone},{day},{local:%H}:00"
        for n in range(first, first + count)
    ]


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
    # A callback's time is wall time: on a machine busy with other work the operating system can stop this
    # process in the middle of a short callback. A tick run on this loop holds it every time; a preemption
    # seldom twice in a row, so a second, fresh tick is measured before the test fails.
    for attempt in range(2):
        add_people(service.engine, roster(PEOPLE, first=attempt * PEOPLE))
        want = (attempt + 1) * PEOPLE
        jobs = JobsProcess(build_service, settings, seconds=3600)
        with LoopProbe() as probe:
            # In its own process; the scheduler's first tick runs at once. Starting a process is start-up work,
            # not the tick's, and on a busy machine it alone can take 100 ms: it happens off the probed loop.
            await asyncio.to_thread(jobs.start)
            await _wait_until(lambda want=want: sent(service) >= want)
            await asyncio.to_thread(jobs.stop)
        assert sent(service) >= want
        if not probe.slow:
            break
    service.engine.dispose()
    assert probe.slow == [], f"callbacks held the serving loop for {[round(s * 1000) for s in probe.slow]} ms: {probe.what}"


async def test_the_probe_reports_a_callback_that_holds_the_loop():
    """The control: synchronous work inside a coroutine (what a tick did before it had a process of its
    own) is reported, so the test above would fail if such work ran on the serving loop."""

    async def blocking_step():
        time.sleep(0.25)

    with LoopProbe() as probe:
        await asyncio.get_running_loop().create_task(blocking_step())
    assert probe.worst >= 0.25
