"""Claim due deliveries, render, send through the person's channel, and record every attempt as it happens.

One pipeline per run: a producer claims a batch, loads it, renders each message and puts it on its
channel's queue (bounded, so memory stays flat and rendering overlaps sending); each channel takes
messages off its queue (email: one sender per SMTP connection) and reports each result, which is written
down before that sender takes its next message. A chat channel that is not configured, or that fails
permanently for a person (account removed, app uninstalled), hands the nudge to email; the reason is
kept on the delivery."""

import asyncio
import functools
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import select as sql_select
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, col

from bot.core.service import Service
from bot.core.switching import short_switch_interval
from bot.core.transport import Channel, Job, NextItem, Report, SendResult, TransportError
from bot.jobs.outcome_recorder import Clock, DispatchStats, OutcomeRecorder
from bot.core.learning_records import record_url
from bot.core.loop_sending import LoopContext, loop_context, loop_message
from digests.nudge import Nudge, NudgeLinks
from lesson_bank.model import Lesson, Status
from schedules.delivery_health import relay_health
from schedules.lesson_versions import lesson_as_sent
from schedules import leases
from schedules.leases import Claimant
from schedules.models import Delivery, DeliveryStatus, Person
from schedules.outbox import Outcome
from schedules.retry_policy import after_transient_failure, week_end
from schedules.rollout import CHECKIN
from schedules.said_did import mark_seen, pending_for_people

__all__ = ["DispatchStats", "dispatch_due"]
log = logging.getLogger("lessonloop.dispatch")
REACHABLE = ("active", "paused")
QUEUED_PER_CONNECTION = 4  # rendered messages waiting per SMTP connection: enough to never starve a sender
CLAIM_AHEAD = 0.25  # seconds of sending, at the rate so far, that one claim takes
CHAT_CHUNK = 20  # a chat channel without a pipeline gets lists this long (outcomes are written after each)
_END = None


class _Claimed(NamedTuple):
    """What a send needs of a delivery and its person: plain columns, no ORM objects per row (a tuple:
    thousands are made a second)."""

    id: int
    lesson_id: str
    lesson_version: str
    is_review: bool
    channel: str
    attempts: int
    period: str
    due_at: datetime
    first_due_at: datetime | None
    message_token: str | None
    kind: str  # nudge, or a reminder or follow-up about the nudge `parent_id` (issue 13)
    parent_id: int | None
    timezone: str


class _Addressee(NamedTuple):
    id: int
    name: str
    email: str
    status: str


@functools.cache
def _claimed(postgres: bool) -> Any:
    """The claimed rows with their people: plain columns, built once (building it cost more than running it)."""
    columns: list[Any] = [Delivery.id, Delivery.lesson_id, Delivery.lesson_version, Delivery.is_review, Delivery.channel]
    columns += [Delivery.attempts, Delivery.period, Delivery.due_at, Delivery.first_due_at, Delivery.message_token]
    columns += [Delivery.kind, Delivery.parent_id, Person.timezone, Person.id, Person.name, Person.email, Person.status]
    return (
        sql_select(*(col(c) for c in columns))
        .join(Person)
        .where(leases.in_list(col(Delivery.id), "ids", postgres=postgres))
        .order_by(col(Delivery.id))
    )


@functools.cache
def _sent_before(postgres: bool) -> Any:
    """Who among these people has had a message before (the first nudge says more)."""
    people = leases.in_list(col(Delivery.person_id), "people", postgres=postgres)
    return sql_select(col(Delivery.person_id)).where(people, col(Delivery.status) == DeliveryStatus.SENT).distinct()


def _load(service: Service, ids: list[int], now: datetime):
    with Session(service.engine) as session:
        # plain columns: run as Core, past the ORM's per-statement work
        connection = session.connection()
        postgres = connection.dialect.name == "postgresql"
        rows = [(_Claimed(*row[:13]), _Addressee(*row[13:])) for row in connection.execute(_claimed(postgres), {"ids": ids})]
        people = [person.id for _, person in rows]
        already = set(connection.execute(_sent_before(postgres), {"people": people}).scalars())
        versions = {(d.lesson_id, d.lesson_version) for d, _ in rows}
        as_sent = {key: lesson_as_sent(session, current=service.lessons, lesson_id=key[0], version=key[1]) for key in versions}
        loop = loop_context(service, session, [(d.id, d.kind, d.parent_id, p.id) for d, p in rows])
        # "you said, we did" notes (issue 17) ride with a person's next nudge, once
        said_did = pending_for_people(session, [p.id for d, p in rows if d.kind == "nudge"], now)
    return rows, already, as_sent, loop, said_did


class _Run:
    def __init__(self, service: Service, clock: Clock, recorder: OutcomeRecorder):
        self.service, self.clock, self.recorder = service, clock, recorder
        connections = max(service.settings.smtp_connections, 1)
        self.queues: dict[str, asyncio.Queue[tuple[Job, Any] | None]] = {
            name: asyncio.Queue(maxsize=QUEUED_PER_CONNECTION * connections) for name in service.channels
        }
        self.in_flight: dict[int, _Claimed] = {}
        self.reasons: dict[int, str] = {}  # why a nudge went by email instead
        self.stopped = False  # our leases may have run out: start nothing new
        self.notes: dict[int, list[tuple[int, int]]] = {}  # delivery -> (note, person) riding with it (issue 17)
        self.seen: list[tuple[int, int, int]] = []  # (note, person, delivery) for notes that went out
        # Claim about what the senders can take soon, not a whole batch: replicas share a slow relay
        # fairly, and a dispatcher that dies holds few rows until its lease runs out.
        self.least_claim = min(service.settings.dispatch_batch, 2 * QUEUED_PER_CONNECTION * connections)
        self.started = time.monotonic()

    def claim_size(self) -> int:
        """What the senders get through in CLAIM_AHEAD seconds at the rate so far, at least `least_claim`, at
        most a dispatch batch. A claim and its load cost a few round trips and milliseconds of CPU however
        many rows they take: a fast relay takes them in bigger claims, a slow one still in small ones."""
        rate = self.recorder.stats.total / max(time.monotonic() - self.started, 1e-3)
        return max(self.least_claim, min(self.service.settings.dispatch_batch, int(rate * CLAIM_AHEAD)))

    def _job(
        self,
        lesson: Lesson,
        delivery: _Claimed,
        person: _Addressee,
        first: bool,
        now: datetime,
        loop: LoopContext,
        notes: tuple[str, ...] = (),
    ) -> Job:
        service = self.service
        links = NudgeLinks(
            reply_url=service.reply_url(service.signer.sign("reply", delivery.id, now + service.link_lifetime)),
            unsubscribe_url=service.unsubscribe_url(service.signer.sign("unsubscribe", person.id, now + timedelta(days=365))),
            record_url=record_url(service, person.id, now),
        )
        nudge = Nudge(
            person.name.split()[0],
            lesson.as_asked(delivery.is_review),
            links,
            delivery.is_review,
            first,
            service.settings.min_cell,
            notes,
        )
        message = None
        if delivery.kind == CHECKIN or (delivery.kind != "nudge" and delivery.parent_id is not None):  # issue 13
            message = loop_message(
                service,
                kind=delivery.kind,
                delivery_id=delivery.id,
                parent_id=delivery.parent_id,
                person_id=person.id,
                first_name=nudge.recipient_name,
                lesson=lesson,
                read_on=loop.read_on.get(delivery.id, delivery.due_at.date()),
                unsubscribe_url=links.unsubscribe_url,
                now=now,
                record_url=links.record_url,
            )
        return Job(
            delivery.id, person.id, person.email, person.name, nudge, message_token=delivery.message_token or "", loop=message
        )

    def _withdrawn(self, lesson_id: str) -> bool:
        current = self.service.lessons.get(lesson_id)
        return current is not None and current.status is not Status.PUBLISHED

    def _unsendable(
        self, delivery: _Claimed, person: _Addressee, lesson: Lesson | None, now: datetime, loop: LoopContext
    ) -> Outcome | None:
        if person.status not in REACHABLE:
            return Outcome(delivery.id, delivery.channel, "cancelled", f"person is {person.status}")
        if delivery.id in loop.cancel:
            return Outcome(delivery.id, delivery.channel, "cancelled", loop.cancel[delivery.id])
        if self._withdrawn(delivery.lesson_id):
            return Outcome(delivery.id, delivery.channel, "cancelled", f"lesson '{delivery.lesson_id}' was retired")
        if lesson is None:
            return Outcome(delivery.id, delivery.channel, "failed", f"lesson '{delivery.lesson_id}' is not in the bank")
        if delivery.kind == "nudge" and now >= week_end(delivery.period, delivery.timezone):
            return Outcome(delivery.id, delivery.channel, "expired", "its week ended before it could go out")
        return None

    async def _enqueue(self, channel: str, job: Job) -> None:
        await self.queues[channel].put((job, self.service.channels[channel].prepare(job)))
        # A put with room does not yield: without this the producer would render until the queue is full,
        # holding back the replies and commits the senders are waiting for (each render is CPU work).
        await asyncio.sleep(0)

    async def _next_batch(self):
        """Claim and load the next batch; None when nothing is due, or the database cannot be reached
        (then this run ends after what is already on its way: claimed rows come back when their lease ends)."""
        try:
            ids = await self.recorder.claim(self.claim_size())
            return await asyncio.to_thread(_load, self.service, ids, self.clock()) if ids else None
        except SQLAlchemyError as exc:
            log.warning("dispatch stops claiming for now: the database did not answer (%s)", type(exc).__name__)
            return None

    async def produce(self) -> None:
        # The next batch is claimed and loaded (database round trips, in a thread) while this one is
        # rendered and queued, so the senders never wait for a claim.
        upcoming = asyncio.ensure_future(self._next_batch())
        try:
            while not self.stopped and (batch := await upcoming) is not None:
                upcoming = asyncio.ensure_future(self._next_batch())
                await self._queue_batch(batch)
        finally:
            await asyncio.wait([upcoming])  # what it claims and nobody sends comes back when its lease ends

    async def _queue_batch(self, batch: Any) -> None:
        """Render each claimed message and queue it for its channel (or write down why it cannot go)."""
        rows, already, lessons, loop, said_did = batch
        for delivery, person in rows:
            now = self.clock()
            lesson = lessons[delivery.lesson_id, delivery.lesson_version]
            if (outcome := self._unsendable(delivery, person, lesson, now, loop)) is not None:
                self.recorder.record_later(outcome)
                continue
            channel = delivery.channel
            if channel not in self.service.channels:
                channel, self.reasons[delivery.id] = "email", f"{delivery.channel} is not configured"
            self.in_flight[delivery.id] = delivery
            notes = said_did.get(person.id, ()) if delivery.kind == "nudge" else ()
            if notes:
                self.notes[delivery.id] = [(note.id, person.id) for note in notes]
            await self._enqueue(
                channel,
                self._job(lesson, delivery, person, person.id not in already, now, loop, tuple(note.text for note in notes)),
            )
            if self.stopped:
                return

    def _next_item(self, channel: str) -> NextItem:
        queue = self.queues[channel]

        async def next_item() -> tuple[Job, Any] | None:
            item = await queue.get()
            if item is _END:
                queue.put_nowait(_END)  # every sender of this channel sees the end
                return None
            if not self.recorder.holds():
                self._stop()
                return None
            return item

        return next_item

    def _stop(self) -> None:
        """Our leases may run out: send nothing more; what is queued goes back when the leases end."""
        if not self.stopped:
            log.warning("dispatcher %s stops sending: its leases could not be renewed", self.recorder.claimant.id)
        self.stopped = True
        for queue in self.queues.values():
            while not queue.empty():
                queue.get_nowait()
            queue.put_nowait(_END)

    def _report(self, channel: str) -> Report:
        def report(job: Job, result: SendResult) -> Awaitable[None]:
            """Hands the outcome to the recorder and returns its commit to wait for: a future, not a task
            a message."""
            delivery = self.in_flight[job.delivery_id]
            if isinstance(result, TransportError) and result.permanent and channel != "email":
                return self._fall_back(channel, job, result)
            outcome = self._decide(delivery, channel, result, self.clock(), self.reasons.pop(job.delivery_id, None))
            del self.in_flight[job.delivery_id]
            notes = self.notes.pop(job.delivery_id, [])
            if outcome.outcome == "sent":
                self.seen += [(note_id, person_id, job.delivery_id) for note_id, person_id in notes]
            return self.recorder.record(outcome)

        return report

    async def _fall_back(self, channel: str, job: Job, result: TransportError) -> None:
        self.reasons[job.delivery_id] = f"{channel}: {result.message}"
        self.recorder.record_later(Outcome(job.delivery_id, channel, "fell_back", result.message))
        await self._enqueue("email", job)

    def _decide(self, delivery: _Claimed, channel: str, result: SendResult, now: datetime, reason: str | None) -> Outcome:
        if result is None or isinstance(result, str):
            return Outcome(delivery.id, channel, "sent", fallback_reason=reason, external_ref=result)
        if result.permanent:
            return Outcome(delivery.id, channel, "failed", result.message, fallback_reason=reason)
        first_due = delivery.first_due_at or delivery.due_at
        # a nudge belongs to its week; a reminder or follow-up (issue 13) has a week of its own from when it was due
        ends = week_end(delivery.period, delivery.timezone) if delivery.kind == "nudge" else first_due + timedelta(days=7)
        step = after_transient_failure(
            error=result.message,
            attempts=delivery.attempts,
            first_due=first_due,
            ends=ends,
            now=now,
            retry_for=timedelta(hours=self.service.settings.retry_hours),
        )
        return Outcome(delivery.id, channel, step.outcome, step.detail, retry_at=step.retry_at, fallback_reason=reason)

    async def lane(self, name: str) -> None:
        channel = self.service.channels[name]
        next_item, report = self._next_item(name), self._report(name)
        if hasattr(channel, "stream"):
            await channel.stream(next_item, report, self.recorder.holds)
            return
        await _chunked(channel, next_item, report, ready=lambda: not self.queues[name].empty())

    async def run(self) -> None:
        lanes = {name: asyncio.create_task(self.lane(name)) for name in self.queues}
        try:
            await self.produce()
            # Chat lanes first: what they hand to email must reach the email queue before its end.
            for name, task in lanes.items():
                if name != "email":
                    await self.queues[name].put(_END)
                    await task
            await self.queues["email"].put(_END)
            await lanes["email"]
        finally:
            for task in lanes.values():
                task.cancel()


async def _chunked(channel: Channel, next_item: NextItem, report: Report, ready: Callable[[], bool]) -> None:
    """A channel that only sends lists: short lists of what is waiting, each outcome written before the next."""
    ended = False
    while not ended:
        chunk: list[tuple[Job, Any]] = []
        while len(chunk) < CHAT_CHUNK and (not chunk or ready()):
            item = await next_item()
            if item is None:
                ended = True
                break
            chunk.append(item)
        if chunk:
            results = await channel.deliver(chunk)
            for job, _ in chunk:
                await report(job, results.get(job.delivery_id, TransportError("no result from channel")))


async def dispatch_due(service: Service, clock: Clock) -> DispatchStats:
    """Send everything due now until nothing is left. `clock()` gives aware UTC."""
    if "email" not in service.channels:  # a service built without channels (benchmarks, tools) sends nothing
        return DispatchStats()
    claimant = Claimant(lease=timedelta(seconds=service.settings.lease_seconds))
    with short_switch_interval():
        async with OutcomeRecorder(service.engine, claimant, clock) as recorder:
            run = _Run(service, clock, recorder)
            try:
                await run.run()
            finally:
                if run.seen:
                    await asyncio.to_thread(_mark_seen, service, run.seen, clock())
    stats = recorder.stats
    if stats.retried or stats.failed or stats.expired:
        _warn_if_failing(service, clock())
    return stats


def _mark_seen(service: Service, seen: list[tuple[int, int, int]], now: datetime) -> None:
    with Session(service.engine) as session:
        mark_seen(session, seen, now)
        session.commit()


def _warn_if_failing(service: Service, now: datetime) -> None:
    with Session(service.engine) as session:
        health = relay_health(session, now=now)
    if health.state(now) != "ok":
        log.warning(
            "email delivery %s: %d failed attempts since the last success (%s); %d messages waiting, the oldest "
            "due %s. See `lessonloop status`.",
            health.state(now),
            health.consecutive_failures,
            health.last_success.isoformat() if health.last_success else "never",
            health.waiting,
            health.oldest_due.isoformat() if health.oldest_due else "-",
        )
