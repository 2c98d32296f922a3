"""Write each delivery outcome as it happens, and keep this dispatcher's leases alive while it works.

A sender hands over an outcome right after the SMTP reply and waits until it is committed before it
takes its next message; outcomes that arrive while a write is running go together in the next one
(group commit), so a dispatcher that dies can only repeat the messages that were on the wire. The same
task renews the leases every third of a lease, and says when they may have run out (the database could
not be reached), so senders stop starting new messages before anyone else may claim them."""

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from schedules import leases
from schedules.leases import Claimant
from schedules.models import Delivery
from schedules.outbox import Outcome, claim_due, record_outcomes

log = logging.getLogger("lessonloop.dispatch")
Clock = Callable[[], datetime]
MAX_GATHER = 0.02  # seconds a write waits at most for the senders the previous one released


@dataclass
class DispatchStats:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    expired: int = 0
    cancelled: int = 0
    fell_back: int = 0

    @property
    def total(self) -> int:
        """Outcomes written, a handed-over chat nudge counted as its own."""
        return self.sent + self.retried + self.failed + self.expired + self.cancelled + self.fell_back

    def add(self, outcomes: list[Outcome]) -> None:
        for o in outcomes:
            field = {
                "sent": "sent",
                "retry": "retried",
                "failed": "failed",
                "expired": "expired",
                "cancelled": "cancelled",
                "fell_back": "fell_back",
            }[o.outcome]
            setattr(self, field, getattr(self, field) + 1)


class OutcomeRecorder:
    def __init__(self, engine: Engine, claimant: Claimant, clock: Clock):
        self.engine, self.claimant, self.clock = engine, claimant, clock
        self.stats = DispatchStats()
        self.renewed_at: datetime | None = None  # every lease we hold runs at least until this + lease
        self._pending: list[tuple[Outcome, asyncio.Future[None] | None]] = []
        self._wake = asyncio.Event()
        self._closing = False
        self._task: asyncio.Task[None] | None = None
        # One connection for this run's writes, not one from the pool (and a ping) each time; replaced
        # after an error, since a dropped connection is the usual one.
        self._connection: Connection | None = None

    async def __aenter__(self) -> "OutcomeRecorder":
        self._task = asyncio.create_task(self._run())
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._closing = True
        self._wake.set()
        if self._task is not None:
            await self._task
        if self._connection is not None:
            await asyncio.to_thread(self._connection.close)

    def holds(self) -> bool:
        """True while every lease we hold is surely ours for a while yet: safe to start another send."""
        return self.renewed_at is not None and self.claimant.still_holds(self.renewed_at, self.clock())

    async def claim(self, limit: int) -> list[int]:
        """Claim the next due rows. Their leases run from now, so they outlive those already held, which
        the recorder renews every third of a lease: `renewed_at` stays the oldest renewal that counts."""
        now = self.clock()

        def work() -> list[int]:
            with Session(self.engine) as session:
                return claim_due(session, now=now, limit=limit, claimant=self.claimant)

        ids = await asyncio.to_thread(work)
        if ids and self.renewed_at is None:
            self.renewed_at = now
        return ids

    def record_later(self, outcome: Outcome) -> None:
        """For outcomes that sent nothing (cancelled, expired): nobody waits for the commit."""
        self._pending.append((outcome, None))
        self._wake.set()

    def record(self, outcome: Outcome) -> "asyncio.Future[None]":
        """A future done once the outcome is committed."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.append((outcome, done))
        self._wake.set()
        return done

    def _waiting(self) -> int:
        return sum(1 for _, done in self._pending if done is not None)

    async def _run(self) -> None:
        tick = min(self.claimant.renew_every.total_seconds(), 1.0)
        released = 0  # senders the last write let go on: each reports its next outcome within a round trip
        took = 0.0  # how long the last write took
        while True:
            if not self._pending:
                if self._closing:
                    return
                await self._sleep(tick)
            # Group commit: wait for the senders the last write released, so one commit takes them all,
            # instead of each write taking whoever came first and the rest waiting a whole write more.
            # No longer than the last write took: a sender that does not come back costs what waiting for
            # a running write would.
            deadline = time.monotonic() + took
            while not self._closing and self._waiting() < released and (left := deadline - time.monotonic()) > 0:
                await self._sleep(left)
            batch, self._pending = self._pending, []
            now = self.clock()
            renew = self.renewed_at is not None and now - self.renewed_at >= self.claimant.renew_every
            if batch or renew:
                started = time.monotonic()
                await self._write(batch, now, renew)
                took = min(time.monotonic() - started, MAX_GATHER)
            released = sum(1 for _, done in batch if done is not None)

    async def _sleep(self, seconds: float) -> None:
        """Until an outcome arrives, or `seconds`."""
        if not self._wake.is_set():
            try:
                async with asyncio.timeout(seconds):  # not wait_for: that wraps the wait in a task each time
                    await self._wake.wait()
            except TimeoutError:
                pass
        self._wake.clear()

    def _write_sync(self, outcomes: list[Outcome], now: datetime, renew: bool) -> None:
        if self._connection is None:
            connection = self.engine.connect()
            if connection.dialect.name == "postgresql":
                # record_outcomes and renew are one statement each on PostgreSQL, atomic by themselves: no
                # BEGIN and COMMIT round trips around them while the senders wait for the commit
                connection = connection.execution_options(isolation_level="AUTOCOMMIT")
            self._connection = connection
        try:
            if renew:
                leases.renew(self._connection, Delivery, claimant=self.claimant, now=now)
            if outcomes:
                record_outcomes(self._connection, outcomes=outcomes, now=now, claimant=self.claimant)
        except BaseException:
            connection, self._connection = self._connection, None
            connection.close()  # rolls back; the next write starts on a fresh connection
            raise

    async def _write(self, batch: list[tuple[Outcome, asyncio.Future[None] | None]], now: datetime, renew: bool) -> None:
        outcomes = [o for o, _ in batch]
        delay, written = 0.1, False
        while not written:
            try:
                await asyncio.to_thread(self._write_sync, outcomes, now, renew)
                written = True
            except SQLAlchemyError as exc:  # a dropped connection: the pool gives a new one next time
                if self.renewed_at is not None and self.clock() >= self.renewed_at + self.claimant.lease:
                    log.error(
                        "could not record %d delivery outcomes before our leases ran out (%s); "
                        "another dispatcher may send them again",
                        len(outcomes),
                        type(exc).__name__,
                    )
                    break
                log.warning("recording %d delivery outcomes failed (%s); trying again", len(outcomes), type(exc).__name__)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 2.0)
        if renew and written:
            self.renewed_at = now
        self.stats.add(outcomes)
        for _, done in batch:
            if done is not None and not done.done():
                done.set_result(None)
