"""What every channel shares: the job a dispatcher hands it and the one error type it raises.

TransportError(message, permanent=False)   retried later with backoff
TransportError(message, permanent=True)    marked failed (or falls back to email) with the reason
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from digests.loop_messages import LoopMessage
from digests.nudge import Nudge


class TransportError(Exception):
    def __init__(self, message: str, *, permanent: bool = False):
        super().__init__(message)
        self.message, self.permanent = message, permanent


@dataclass(frozen=True)
class Job:
    delivery_id: int
    person_id: int
    email: str
    name: str
    nudge: Nudge
    message_token: str = ""  # random per delivery (its Message-ID), the same on every attempt
    loop: LoopMessage | None = None  # a reminder or follow-up (issue 13): channels render this instead


# What a channel reports per delivery: None (sent), a str (sent; the message id to update later,
# e.g. a Slack "channel:ts" or a Teams activity id), or the TransportError.
SendResult = TransportError | str | None


class Channel(Protocol):
    name: str

    def prepare(self, job: Job) -> Any:
        """Render what will be sent (CPU only, no I/O)."""

    async def deliver(self, prepared: list[tuple[Job, Any]]) -> dict[int, SendResult]:
        """Send each prepared message; map delivery id to its SendResult."""

    async def close(self) -> None: ...


# A channel that sends as messages arrive (a pipeline per connection) instead of a whole list at once:
# `next_item()` gives the next prepared message, or None when there is no more; `report(job, result)`
# returns once the outcome is written down, and a channel may send on meanwhile, as long as it finishes
# a send (the step after which it cannot be taken back) only once the outcomes it reported before are
# written and `still_held()` says the dispatcher's claims hold.
NextItem = Callable[[], Awaitable[tuple[Job, Any] | None]]
Report = Callable[[Job, SendResult], Awaitable[None]]


class StreamingChannel(Channel, Protocol):
    async def stream(self, next_item: NextItem, report: Report, still_held: Callable[[], bool]) -> None: ...
