"""The one rate limiter: sliding-window limits, so sends stay inside a service's published limits instead
of discovering them through 429s, and a pause for everyone when the service answers Retry-After.
The window arithmetic is pure (`wait_time`); `acquire` only sleeps.

    Webhook (Workflows):      4 per second and 60 per 30 seconds, per webhook URL
    Bot, per conversation:    7 per second, 8 per 2 seconds, 60 per 30 seconds, 1800 per hour
    Bot, per app and tenant:  50 per second
    Slack, per workspace:     an even spread of the per-minute budget (one event per 60/budget seconds)
    Slack, per conversation:  about one message a second
"""

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable

Window = tuple[int, float]  # at most `count` events in any `seconds`

WEBHOOK_LIMITS: tuple[Window, ...] = ((4, 1.0), (60, 30.0))
CONVERSATION_LIMITS: tuple[Window, ...] = ((7, 1.0), (8, 2.0), (60, 30.0), (1800, 3600.0))
TENANT_LIMITS: tuple[Window, ...] = ((50, 1.0),)


_processes_sharing = 1  # web processes of one service that each keep their own limiters (serve --workers)


def share_limits_among(processes: int) -> None:
    """Several web processes each count only their own events, so each keeps 1/processes of every limit:
    together they stay inside what the service publishes. Called once, at the start of a web worker."""
    global _processes_sharing
    if processes < 1:
        raise ValueError(f"processes must be at least 1, not {processes}")
    _processes_sharing = processes


def shared(windows: tuple[Window, ...], processes: int) -> tuple[Window, ...]:
    """This process's share of each window: fewer events in the same time, or one event in a longer time
    when the count cannot be divided (a per-minute budget spread as one event every 60/budget seconds)."""
    if processes == 1:
        return windows
    return tuple(
        (count // processes, seconds) if count >= processes else (1, seconds * processes / count) for count, seconds in windows
    )


def even_spread(per_minute: int) -> tuple[Window, ...]:
    """`per_minute` events a minute, evenly spaced rather than in a burst at the start of each minute."""
    if per_minute < 1:
        raise ValueError(f"per_minute must be at least 1, not {per_minute}")
    return ((1, 60.0 / per_minute),)


class Limiter:
    def __init__(
        self,
        windows: tuple[Window, ...],
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ):
        self.windows, self.clock, self.sleep = shared(windows, _processes_sharing), clock, sleep
        self._events: deque[float] = deque(maxlen=max((count for count, _ in self.windows), default=1))
        self._lock: asyncio.Lock | None = None
        self._lock_loop: asyncio.AbstractEventLoop | None = None
        self._paused_until = 0.0
        self.waited = 0.0  # total seconds spent waiting, for benchmarks
        self.pauses = 0  # Retry-After pauses honoured

    def wait_time(self, now: float) -> float:
        """Seconds until one more event fits every window and any pause has run out (0 when it fits now)."""
        wait = self._paused_until - now
        for count, seconds in self.windows:
            if len(self._events) >= count:
                oldest_in_window = self._events[-count]
                wait = max(wait, oldest_in_window + seconds - now)
        return max(wait, 0.0)

    def _loop_lock(self) -> asyncio.Lock:
        """A lock belongs to one event loop; commands, the scheduler and tests may each run their own."""
        loop = asyncio.get_running_loop()
        if self._lock is None or self._lock_loop is not loop:
            self._lock, self._lock_loop = asyncio.Lock(), loop
        return self._lock

    def try_acquire(self) -> bool:
        """Take a place now if one is free, without waiting: for refusing requests rather than pacing sends."""
        now = self.clock()
        if self.wait_time(now) > 0:
            return False
        self._events.append(now)
        return True

    def idle_since(self) -> float | None:
        return self._events[-1] if self._events else None

    async def acquire(self) -> None:
        async with self._loop_lock():  # one waiter at a time keeps the order fair
            while (wait := self.wait_time(self.clock())) > 0:
                self.waited += wait
                await self.sleep(wait)
            self._events.append(self.clock())

    def pause(self, seconds: float) -> None:
        """The service said Retry-After: nobody goes until it has passed."""
        self.pauses += 1
        self._paused_until = max(self._paused_until, self.clock() + max(seconds, 0.0))


class KeyedLimiters:
    """One limiter per key (a webhook URL, a conversation id), made on first use."""

    def __init__(self, windows: tuple[Window, ...], **options):
        self.windows, self.options = windows, options
        self._limiters: dict[str, Limiter] = {}

    def __getitem__(self, key: str) -> Limiter:
        if key not in self._limiters:
            self._forget_idle()
            self._limiters[key] = Limiter(self.windows, **self.options)
        return self._limiters[key]

    def _forget_idle(self, keep: int = 10_000) -> None:
        """Keys come from outside (addresses, clients): past `keep` of them, drop those idle longer than the
        longest window, which can no longer refuse anything, so memory stays bounded."""
        if len(self._limiters) < keep:
            return
        longest = max(seconds for _, seconds in self.windows)
        for key, limiter in list(self._limiters.items()):
            last = limiter.idle_since()
            if last is None or limiter.clock() - last > longest:
                del self._limiters[key]
