"""The one HTTP send-with-retry, used by Slack, the Teams Bot Connector and the Workflows webhook.

Each channel writes one attempt; this loop only decides whether to try again and how long to wait:

    attempt returns                 -> that result
    attempt raises TryAgain         -> wait (Retry-After or exponential backoff), then try again;
                                       after the last try, the TryAgain's TransportError is raised
    attempt raises TransportError   -> raised at once (permanent, or not worth repeating here:
                                       the dispatcher retries later with its own backoff)
"""

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

from bot.core.transport import TransportError

T = TypeVar("T")


class TryAgain(Exception):
    def __init__(self, problem: TransportError, wait: float = 0.0):
        super().__init__(problem.message)
        self.problem, self.wait = problem, wait


async def send_with_retry(
    attempt: Callable[[int], Awaitable[T]], *, tries: int, sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
) -> T:
    problem = TransportError("no attempt made")
    for number in range(tries):
        try:
            return await attempt(number)
        except TryAgain as again:
            problem = again.problem
            if number + 1 < tries and again.wait > 0:
                await sleep(again.wait)
    raise problem


def header(headers: Mapping[str, Any] | None, name: str) -> str | None:
    """A header's value whatever the client's shape (case, or a list of values as slack_sdk gives)."""
    for key, value in (headers or {}).items():
        if key.lower() == name.lower():
            if isinstance(value, (list, tuple)):
                return str(value[0]) if value else None
            return str(value)
    return None


def retry_after(value: str | None, attempt: int, *, cap: float = 60.0) -> float:
    """The server's Retry-After (seconds) when it gives one, else exponential backoff from 1 s."""
    try:
        seconds = float(value) if value is not None else 2.0**attempt
    except ValueError:
        seconds = 2.0**attempt
    return min(max(seconds, 0.0), cap)
