"""What the dispatcher needs to send a reminder or follow-up (issue 13): whether it is still wanted, and
the message with its signed links. A reminder whose nudge has been answered, or whose person or
organisation has switched reminders off since it was planned, is cancelled rather than sent."""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlmodel import Session, col, select

from bot.core.service import Service
from digests.loop_messages import LoopLinks, LoopMessage
from lesson_bank.model import Lesson
from schedules.models import Delivery, Person, Reply


@dataclass(frozen=True)
class LoopContext:
    cancel: dict[int, str] = field(default_factory=dict)  # delivery id -> why it is no longer wanted
    read_on: dict[int, date] = field(default_factory=dict)  # delivery id -> when its nudge was sent


def loop_context(service: Service, session: Session, rows: list[tuple[int, str, int | None, int]]) -> LoopContext:
    """`rows` are (delivery id, kind, parent id, person id) of a claimed batch."""
    loop_rows = [row for row in rows if row[2] is not None]  # those with a nudge behind them (not a check-in)
    if not loop_rows:
        return LoopContext()
    parents = {row[2] for row in loop_rows if row[2] is not None}
    sent = dict(session.exec(select(Delivery.id, Delivery.sent_at).where(col(Delivery.id).in_(parents))).all())
    answered = set(session.exec(select(Reply.delivery_id).where(col(Reply.delivery_id).in_(parents))))
    switched_on = dict(
        session.exec(select(Person.id, Person.reminders).where(col(Person.id).in_({row[3] for row in loop_rows}))).all()
    )
    context = LoopContext()
    for delivery_id, kind, parent_id, person_id in loop_rows:
        if parent_id not in sent:
            context.cancel[delivery_id] = "its nudge no longer exists"
            continue
        context.read_on[delivery_id] = (sent[parent_id] or datetime.now()).date()
        if kind == "reminder":
            if parent_id in answered:
                context.cancel[delivery_id] = "the nudge was answered"
            elif not service.settings.reminders:
                context.cancel[delivery_id] = "reminders are switched off for the organisation"
            elif not switched_on.get(person_id, False):
                context.cancel[delivery_id] = "reminders switched off"
        elif kind == "followup" and not service.settings.followups:
            context.cancel[delivery_id] = "follow-ups are switched off for the organisation"
        elif kind == "impact" and not service.settings.impact_intervals:  # issue 17
            context.cancel[delivery_id] = "impact questions are switched off for the organisation"
    return context


def reminders_off_url(service: Service, person_id: int, now: datetime) -> str:
    token = service.signer.sign("reminders", person_id, now + timedelta(days=365))
    return f"{service.settings.base_url.rstrip('/')}/reminders-off/{token}"


def followup_url(service: Service, token: str) -> str:
    """The signed page of a follow-up or an impact question (issue 17): both are asked and answered alike."""
    return f"{service.settings.base_url.rstrip('/')}/f/{token}"


def loop_message(
    service: Service,
    *,
    kind: str,
    delivery_id: int,
    parent_id: int | None,
    person_id: int,
    first_name: str,
    lesson: Lesson,
    read_on: date,
    unsubscribe_url: str,
    now: datetime,
    record_url: str = "",
) -> LoopMessage:
    expires = now + service.link_lifetime
    if kind == "checkin":  # a roll-out check-in (issue 13, part 5) is answered like a nudge, on its own reply
        reply_to, url = delivery_id, service.reply_url(service.signer.sign("reply", delivery_id, expires))
    elif kind == "reminder":  # the nudge's own reply page: the answer lands on the nudge's reply
        assert parent_id is not None  # a reminder always names its nudge
        reply_to, url = parent_id, service.reply_url(service.signer.sign("reply", parent_id, expires))
    else:  # a follow-up or an impact question: its own answer, on its own signed page
        reply_to, url = delivery_id, followup_url(service, service.signer.sign("followup", delivery_id, expires))
    links = LoopLinks(url, unsubscribe_url, reminders_off_url(service, person_id, now), record_url)
    return LoopMessage(kind, reply_to, first_name, lesson, read_on, links)


def redrawn_message(
    service: Service, session: Session, *, delivery: Delivery, person: Person, lesson: Lesson, now: datetime
) -> LoopMessage:
    """A follow-up or impact question as a chat message is redrawn once answered (Slack and Teams alike): the
    message it was sent as, dated from its nudge's send."""
    assert delivery.id is not None and person.id is not None  # stored rows
    return loop_message(
        service,
        kind=delivery.kind,
        delivery_id=delivery.id,
        parent_id=delivery.parent_id or delivery.id,
        person_id=person.id,
        first_name=person.name.split()[0],
        lesson=lesson,
        read_on=nudge_read_on(session, delivery),
        unsubscribe_url="",
        now=now,
    )


def nudge_read_on(session: Session, delivery: Delivery) -> date:
    """The day a follow-up or impact question says its lesson was read: when its nudge went out."""
    parent = session.get(Delivery, delivery.parent_id) if delivery.parent_id else None
    return ((parent.sent_at or parent.due_at) if parent else delivery.due_at).date()
