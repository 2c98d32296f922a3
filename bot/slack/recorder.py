"""Where Slack taps are recorded: in a child process of their own.

Recording a reply (the shared reply path, the spacing update, a commit) costs several milliseconds of
CPU. In the serving process that work holds the interpreter lock and the event loop that acks Slack
waits behind it, so a burst of taps would push acks past Slack's 3 seconds. In a child process it
only queues: acks stay fast and the replies are stored as fast as the database takes them."""
import asyncio
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from bot.core.settings import Settings

_service = None  # the child's own service (engine, lessons), built once when the child starts


def _start_child(settings: Settings) -> None:
    global _service
    from bot.compose import build_service

    # When CPUs are short, the process answering Slack goes first: a reply stored a moment later is
    # fine, an ack after 3 seconds is not.
    os.nice(10)

    _service = build_service(settings, with_channels=False)


def _record_in_child(kwargs: dict):
    from bot.slack.taps import record_tap

    return record_tap(_service, **kwargs)


class Recorder:
    """Runs bot.slack.taps.record_tap in one child process (LESSONLOOP_SLACK_RECORDER=process, the
    default), or on a worker thread of this process (=thread: no child to start, for small sites and tests)."""

    def __init__(self, settings: Settings, service=None):
        if settings.slack_recorder not in ("process", "thread"):
            raise ValueError(f"LESSONLOOP_SLACK_RECORDER must be 'process' or 'thread', not '{settings.slack_recorder}'")
        self._settings, self._service = settings, service
        self._pool: ProcessPoolExecutor | None = None

    def start(self) -> None:
        """Start the child now (it loads the lesson bank), so the first tap does not wait for it."""
        if self._settings.slack_recorder == "process":
            self._executor().submit(int)

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            # spawn, not fork: the parent has threads (the server, the scheduler) a fork would copy mid-step
            self._pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"),
                                             initializer=_start_child, initargs=(self._settings,))
        return self._pool

    async def record(self, **kwargs):
        if self._settings.slack_recorder == "thread":
            from bot.slack.taps import record_tap

            return await asyncio.to_thread(record_tap, self._service, **kwargs)
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._executor(), _record_in_child, kwargs)
        except BrokenProcessPool:
            self._pool = None  # the child died (killed, out of memory): start a new one and try once more
            return await loop.run_in_executor(self._executor(), _record_in_child, kwargs)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
