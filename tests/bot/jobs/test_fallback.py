"""A chat channel that fails for good hands the nudge to email, and the reason is kept."""

import asyncio

from sqlmodel import Session, select

from bot.jobs.dispatcher import dispatch_due
from bot.jobs.planning import run_planning
from bot.core.transport import Job, TransportError
from schedules.models import Delivery, DeliveryAttempt, Person
from tests.conftest import utc
from tests.helpers import add_people

NOW = utc(2026, 11, 24, 12)


class GoneChat:
    """Our own channel seam, answering as a chat API does for a deactivated account."""

    name = "slack"

    def prepare(self, job: Job) -> str:
        return job.nudge.lesson.title

    async def deliver(self, prepared):
        return {job.delivery_id: TransportError("account_inactive", permanent=True) for job, _ in prepared}

    async def close(self) -> None:
        return None


def set_channel(service, channel: str) -> None:
    with Session(service.engine) as session:
        for person in session.exec(select(Person)):
            person.channel = channel
            session.add(person)
        session.commit()


def test_permanent_chat_failure_falls_back_to_email_with_reason(service):
    add_people(service.engine, ["ann@example.org,Ann,gp,Surgery,NHS,Europe/London,Tuesday,10:00"])
    set_channel(service, "slack")
    service.channels["slack"] = GoneChat()
    run_planning(service, NOW)
    stats = asyncio.run(dispatch_due(service, lambda: NOW))
    assert (stats.sent, stats.fell_back) == (1, 1)
    with Session(service.engine) as session:
        delivery = session.exec(select(Delivery)).one()
        attempts = [(a.channel, a.outcome) for a in session.exec(select(DeliveryAttempt).order_by(DeliveryAttempt.id))]
    assert (delivery.status, delivery.channel, delivery.fallback_reason) == ("sent", "email", "slack: account_inactive")
    assert attempts == [("slack", "fell_back"), ("email", "sent")]
    assert len(list(service.settings.mail_dir.glob("*.eml"))) == 1


def test_unconfigured_chat_channel_goes_by_email(service):
    add_people(service.engine, ["ann@example.org,Ann,gp,Surgery,NHS,Europe/London,Tuesday,10:00"])
    set_channel(service, "teams")
    run_planning(service, NOW)
    assert asyncio.run(dispatch_due(service, lambda: NOW)).sent == 1
    with Session(service.engine) as session:
        delivery = session.exec(select(Delivery)).one()
    assert (delivery.channel, delivery.fallback_reason, delivery.role) == ("email", "teams is not configured", "gp")


async def test_a_service_without_channels_dispatches_nothing_and_loses_nothing(settings):
    """Benchmarks and tools build a service with no channels; a tick must leave its nudges waiting, not crash."""
    from bot.compose import build_service
    from bot.jobs.dispatcher import dispatch_due
    from bot.jobs.planning import run_planning
    from schedules.models import Delivery
    from sqlmodel import Session, select
    from tests.conftest import utc
    from tests.helpers import add_people

    service = build_service(settings, with_channels=False)
    add_people(service.engine, ["a@example.org,Ann Smith,social-worker,North,Council,Europe/London,Tuesday,10:00"])
    run_planning(service, utc(2026, 11, 24, 12))
    stats = await dispatch_due(service, lambda: utc(2026, 11, 24, 12))
    with Session(service.engine) as session:
        statuses = [d.status for d in session.exec(select(Delivery))]
    assert (stats.sent, stats.failed) == (0, 0) and statuses == ["pending"]
    service.engine.dispose()
