"""Claim due deliveries, render, send through the person's channel, and record every attempt."""
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, select

from bot.core.service import Service
from bot.core.transport import Job, SendResult, TransportError
from digests.nudge import Nudge, NudgeLinks
from schedules.models import Delivery, DeliveryStatus, Person
from lesson_bank.model import Lesson, Status
from schedules.lesson_versions import lesson_as_sent
from schedules.outbox import Outcome, claim_due, record_outcomes

REACHABLE = ("active", "paused")


@dataclass
class DispatchStats:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    cancelled: int = 0
    fell_back: int = 0

    def add(self, outcomes: list[Outcome]) -> None:
        for o in outcomes:
            field = {"sent": "sent", "retry": "retried", "failed": "failed", "cancelled": "cancelled", "fell_back": "fell_back"}[o.outcome]
            setattr(self, field, getattr(self, field) + 1)


@dataclass(frozen=True)
class _Claimed:
    """What a send needs of a delivery and its person: plain columns, no ORM objects per row."""

    id: int
    lesson_id: str
    lesson_version: str
    is_review: bool
    channel: str
    attempts: int


@dataclass(frozen=True)
class _Addressee:
    id: int
    name: str
    email: str
    status: str


def _withdrawn(service: Service, lesson_id: str) -> bool:
    current = service.lessons.get(lesson_id)
    return current is not None and current.status is not Status.PUBLISHED


def backoff(attempts: int) -> timedelta:
    return timedelta(minutes=min(2 ** (attempts - 1), 360))


def _job(service: Service, lesson: Lesson, delivery: _Claimed, person: _Addressee, first: bool, now: datetime) -> Job:
    expires = now + service.link_lifetime
    links = NudgeLinks(
        reply_url=service.reply_url(service.signer.sign("reply", delivery.id, expires)),
        unsubscribe_url=service.unsubscribe_url(service.signer.sign("unsubscribe", person.id, now + timedelta(days=365))),
    )
    nudge = Nudge(person.name.split()[0], service.as_read(lesson, is_review=delivery.is_review), links, delivery.is_review, first)
    return Job(delivery.id, person.id, person.email, person.name, nudge)


def _load(session: Session, ids: list[int]) -> tuple[list[tuple[_Claimed, _Addressee]], set[int]]:
    query = select(Delivery.id, Delivery.lesson_id, Delivery.lesson_version, Delivery.is_review, Delivery.channel,
                   Delivery.attempts, Person.id, Person.name, Person.email, Person.status).join(Person).where(Delivery.id.in_(ids))
    rows = [(_Claimed(*row[:6]), _Addressee(*row[6:])) for row in session.exec(query.order_by(Delivery.id))]
    person_ids = [person.id for _, person in rows]
    already = set(session.exec(select(Delivery.person_id).where(Delivery.person_id.in_(person_ids), Delivery.status == DeliveryStatus.SENT)))
    return rows, already


def _outcome(service: Service, delivery: _Claimed, channel: str, error: SendResult, now: datetime,
             fallback_reason: str | None = None) -> Outcome:
    if error is None or isinstance(error, str):
        return Outcome(delivery.id, channel, "sent", fallback_reason=fallback_reason, external_ref=error)
    if error.permanent:
        return Outcome(delivery.id, channel, "failed", error.message)
    if delivery.attempts >= service.settings.max_attempts:
        return Outcome(delivery.id, channel, "failed", f"gave up after {delivery.attempts} attempts: {error.message}")
    return Outcome(delivery.id, channel, "retry", error.message, retry_at=now + backoff(delivery.attempts))


async def _send(service: Service, channel: str, jobs: list[Job]) -> dict[int, SendResult]:
    adapter = service.channels[channel]
    results = await adapter.deliver([(job, adapter.prepare(job)) for job in jobs])
    return {job.delivery_id: results.get(job.delivery_id, TransportError("no result from channel")) for job in jobs}


async def dispatch_batch(service: Service, now: datetime) -> list[Outcome] | None:
    """One claimed batch, start to finish. None when nothing was due.

    A chat channel that is not configured, or that fails permanently for a person (account removed,
    app uninstalled), falls back to email; the reason is kept on the delivery."""
    with Session(service.engine) as session:
        ids = claim_due(session, now=now, limit=service.settings.dispatch_batch)
        if not ids:
            return None
        rows, already_sent = _load(session, ids)
        versions = {(d.lesson_id, d.lesson_version) for d, _ in rows}
        lessons = {key: lesson_as_sent(session, current=service.lessons, lesson_id=key[0], version=key[1]) for key in versions}
    outcomes: list[Outcome] = []
    by_channel: dict[str, list[Job]] = {}
    reasons: dict[int, str] = {}
    deliveries = {d.id: d for d, _ in rows}
    for delivery, person in rows:
        lesson = lessons[delivery.lesson_id, delivery.lesson_version]
        if person.status not in REACHABLE:
            outcomes.append(Outcome(delivery.id, delivery.channel, "cancelled", f"person is {person.status}"))
        elif _withdrawn(service, delivery.lesson_id):
            outcomes.append(Outcome(delivery.id, delivery.channel, "cancelled", f"lesson '{delivery.lesson_id}' was retired"))
        elif lesson is None:
            outcomes.append(Outcome(delivery.id, delivery.channel, "failed", f"lesson '{delivery.lesson_id}' is not in the bank"))
        else:
            channel = delivery.channel
            if channel not in service.channels:
                channel, reasons[delivery.id] = "email", f"{delivery.channel} is not configured"
            by_channel.setdefault(channel, []).append(_job(service, lesson, delivery, person, person.id not in already_sent, now))
    fallback: list[Job] = []
    for channel, jobs in by_channel.items():
        results = await _send(service, channel, jobs)
        for job in jobs:
            error = results[job.delivery_id]
            if isinstance(error, TransportError) and error.permanent and channel != "email":
                reasons[job.delivery_id] = f"{channel}: {error.message}"
                outcomes.append(Outcome(job.delivery_id, channel, "fell_back", error.message))
                fallback.append(job)
            else:
                outcomes.append(_outcome(service, deliveries[job.delivery_id], channel, error, now, reasons.get(job.delivery_id)))
    if fallback:
        results = await _send(service, "email", fallback)
        for job in fallback:
            outcomes.append(_outcome(service, deliveries[job.delivery_id], "email", results[job.delivery_id], now, reasons[job.delivery_id]))
    with Session(service.engine) as session:
        record_outcomes(session, outcomes=outcomes, now=now)
    return outcomes


async def dispatch_due(service: Service, clock) -> DispatchStats:
    """Send everything due now, batch by batch, until nothing is left. `clock()` gives aware UTC."""
    stats = DispatchStats()
    while (outcomes := await dispatch_batch(service, clock())) is not None:
        stats.add(outcomes)
    return stats
