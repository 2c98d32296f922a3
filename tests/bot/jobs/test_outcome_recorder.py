"""The dispatcher's outcome recorder (issue 16): a group commit takes every sender the last one released."""

import asyncio
import time
from datetime import timedelta

from sqlmodel import Session, select

from bot.jobs.outcome_recorder import OutcomeRecorder
from bot.jobs.planning import run_planning
from schedules.leases import Claimant
from schedules.models import Delivery, DeliveryStatus
from schedules.outbox import Outcome
from tests.conftest import utc
from tests.helpers import add_people

NOW = utc(2026, 11, 24, 12)


async def test_a_write_waits_for_the_senders_the_last_one_released(service):
    """Three senders report together, then each sends its next message and reports it a little apart:
    the second write takes all three, instead of the first to arrive alone and the rest in a third."""
    add_people(service.engine, [f"p{i}@example.org,P {i},gp,Surgery,NHS,Europe/London,Tuesday,10:00" for i in range(6)])
    run_planning(service, NOW)
    writes: list[int] = []
    async with OutcomeRecorder(service.engine, Claimant(lease=timedelta(seconds=60)), lambda: NOW) as recorder:
        write = recorder._write_sync

        def slow_write(outcomes, now, renew):  # a commit that takes 50 ms, as a busy server's fsync can
            time.sleep(0.05)
            write(outcomes, now, renew)
            writes.append(len(outcomes))

        recorder._write_sync = slow_write  # type: ignore[method-assign]
        ids = await recorder.claim(6)

        async def sender(first: int, second: int, after: float) -> None:
            await recorder.record(Outcome(first, "email", "sent"))
            await asyncio.sleep(after)  # its next message's round trip
            await recorder.record(Outcome(second, "email", "sent"))

        await asyncio.gather(*(sender(ids[i], ids[i + 3], 0.01 * i) for i in range(3)))
    assert writes == [3, 3]
    with Session(service.engine) as session:
        assert set(session.exec(select(Delivery.status))) == {DeliveryStatus.SENT}


async def test_claims_grow_with_the_rate_the_senders_reach_and_stay_small_for_a_slow_relay(service):
    from bot.jobs.dispatcher import CLAIM_AHEAD, _Run

    settings = service.settings.model_copy(update={"smtp_connections": 2, "dispatch_batch": 1000})
    service.settings = settings
    async with OutcomeRecorder(service.engine, Claimant(), lambda: utc(2026, 11, 24, 12)) as recorder:
        run = _Run(service, lambda: utc(2026, 11, 24, 12), recorder)
        assert run.claim_size() == run.least_claim == 16  # nothing sent yet: two connections' worth
        run.started = time.monotonic() - 1.0
        recorder.stats.sent = 2000  # 2,000 a second
        assert int(2000 * CLAIM_AHEAD * 0.9) <= run.claim_size() <= int(2000 * CLAIM_AHEAD)
        recorder.stats.sent = 10  # a slow relay: 10 a second
        assert run.claim_size() == 16
        recorder.stats.sent = 100_000
        assert run.claim_size() == 1000  # never more than a dispatch batch
