"""Group commit for replies: one writer thread saves the answers that arrive within a few milliseconds of each
other in one transaction, through the one reply path (bot.core.replying.stage_replies).

Why: a commit holds SQLite's single write lock and costs a disk flush on either database. One commit per
reply capped a burst of Slack taps at ~45 stored a second and left acks and page POSTs queued behind the
lock. Callers still wait for *their* batch to commit before they say "thanks" (the answer is durable when
they answer; nothing is held only in memory), but a batch of hundreds costs about what one reply cost.

One writer per service (per process). Several processes may each run one: a reply another writer created
first surfaces as an IntegrityError at commit, and the batch is then saved one reply at a time by
save_reply, which retries exactly that case."""

import asyncio
import logging
import queue
import threading
import time
from concurrent.futures import Future

from sqlmodel import Session

from bot.core.replying import ReplyRequest, SavedReply, save_reply, stage_replies
from bot.core.service import Service

log = logging.getLogger("lessonloop.replies")

WINDOW = 0.004  # seconds the writer waits for more answers after the first; under load batches fill sooner
MAX_BATCH = 500  # answers per transaction: keeps each IN list and each transaction bounded

_Item = tuple[ReplyRequest, "Future[SavedReply]"]


class ReplyWriter:
    def __init__(self, service: Service, *, window: float = WINDOW, max_batch: int = MAX_BATCH):
        self._service, self._window, self._max_batch = service, window, max_batch
        self._queue: queue.Queue[_Item | None] = queue.Queue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._closed = False

    def submit(self, request: ReplyRequest) -> "Future[SavedReply]":
        future: Future[SavedReply] = Future()
        with self._lock:
            if self._closed:
                raise RuntimeError("the reply writer is closed")
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="reply-writer", daemon=True)
                self._thread.start()
            self._queue.put((request, future))
        return future

    def save(self, request: ReplyRequest) -> SavedReply:
        """Blocking: returns once this answer's batch has committed (or raises why it was refused)."""
        return self.submit(request).result()

    async def save_async(self, request: ReplyRequest) -> SavedReply:
        return await asyncio.wrap_future(self.submit(request))

    def close(self) -> None:
        """Write everything queued, then stop."""
        with self._lock:
            self._closed = True
            thread = self._thread
        if thread is not None:
            self._queue.put(None)
            thread.join()

    def _next_batch(self) -> tuple[list[_Item], bool]:
        first = self._queue.get()
        if first is None:
            return [], True
        batch, deadline = [first], time.monotonic() + self._window
        while len(batch) < self._max_batch:
            try:
                item = self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                break
            if item is None:
                return batch, True
            batch.append(item)
        return batch, False

    def _run(self) -> None:
        stop = False
        while not stop:
            batch, stop = self._next_batch()
            if batch:
                self._write(batch)

    def _write(self, batch: list[_Item]) -> None:
        # A caller that stopped waiting (a page whose client went away) cancelled its future: the answer is
        # saved all the same, and from here on nobody can cancel it, so setting its outcome below cannot raise
        # and take this thread (and every later reply) down with it.
        for _, future in batch:
            future.set_running_or_notify_cancel()
        try:
            with Session(self._service.engine, expire_on_commit=False) as session:
                results = stage_replies(self._service, session, [request for request, _ in batch])
                session.commit()
        except Exception:
            log.info("a batch of %d replies failed together; saving them one at a time", len(batch), exc_info=True)
            for request, future in batch:
                self._write_one(request, future)
            return
        for (_, future), result in zip(batch, results, strict=True):
            if future.cancelled():
                continue
            if isinstance(result, Exception):
                future.set_exception(result)
            else:
                future.set_result(result)

    def _write_one(self, request: ReplyRequest, future: "Future[SavedReply]") -> None:
        try:
            with Session(self._service.engine, expire_on_commit=False) as session:
                saved = save_reply(
                    self._service, session, delivery_id=request.delivery_id, answer=request.answer, check=request.check
                )
        except Exception as exc:
            if not future.cancelled():
                future.set_exception(exc)
            return
        if not future.cancelled():
            future.set_result(saved)


def reply_writer(service: Service) -> ReplyWriter:
    """The service's one writer, made on first use; Service.close() drains it."""
    with _made:
        if service.reply_writer is None:
            service.reply_writer = ReplyWriter(service)
        return service.reply_writer


_made = threading.Lock()
