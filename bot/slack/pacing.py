"""Pacing for one Slack workspace: a steady per-minute budget, one message a second per channel, and
a pause for everyone when Slack answers 429 with Retry-After.

Slack counts per workspace, so one Pacer is shared by every send in a process; the clock and sleep
are passed in so the arithmetic can be checked without waiting."""
import asyncio
import time
from collections.abc import Awaitable, Callable


class Pacer:
    """Hands out send slots evenly: `per_minute` slots a minute, never two to one channel within
    `channel_gap` seconds, and none before a Retry-After pause has run out."""

    def __init__(self, per_minute: int, *, channel_gap: float = 1.0,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep):
        if per_minute < 1:
            raise ValueError(f"per_minute must be at least 1, not {per_minute}")
        self.interval = 60.0 / per_minute
        self.channel_gap = channel_gap
        self._clock, self._sleep = clock, sleep
        self._next_slot = 0.0
        self._paused_until = 0.0
        self._channel_next: dict[str, float] = {}
        self.waited = 0.0  # total seconds spent waiting, for benchmarks
        self.pauses = 0  # Retry-After pauses honoured

    def _reserve(self, channel: str | None) -> float:
        """Book the next free slot (synchronously, so concurrent callers never share one)."""
        now = self._clock()
        slot = max(now, self._next_slot, self._paused_until)
        if channel is not None:
            slot = max(slot, self._channel_next.get(channel, 0.0))
            self._channel_next[channel] = slot + self.channel_gap
        self._next_slot = max(self._next_slot, slot) + self.interval
        return slot - now

    async def wait(self, channel: str | None = None) -> None:
        delay = self._reserve(channel)
        if delay > 0:
            self.waited += delay
            await self._sleep(delay)
        # a 429 that arrived while we slept moves everyone back
        while (late := self._paused_until - self._clock()) > 0:
            self.waited += late
            await self._sleep(late)

    def pause(self, seconds: float) -> None:
        """Slack said Retry-After: nobody sends until it has passed."""
        self.pauses += 1
        until = self._clock() + max(seconds, 0.0)
        self._paused_until = max(self._paused_until, until)
        self._next_slot = max(self._next_slot, until)


def retry_after(headers, default: float = 1.0) -> float:
    """Seconds from a Retry-After header (Slack sends whole seconds); `default` when absent or odd."""
    for key, value in (headers or {}).items():
        if key.lower() == "retry-after":
            try:
                return max(float(value if isinstance(value, str) else value[0]), 0.0)
            except (TypeError, ValueError, IndexError):
                return default
    return default
