"""A slow relay with two dispatchers and no fault at all must never send a message twice (issue 15).

Time is scaled so the test runs in seconds: each message takes 0.15 s of real time at the relay, which
the dispatchers' clock sees as 15 s, so one dispatcher's claimed batch outlives any fixed lease while
the other keeps ticking. The scale leaves a renewal 0.4 s of real time before its lease runs out: at 250
simulated seconds a real one (0.16 s) a busy machine running the suite in parallel delayed renewals past it."""

import asyncio
import time
from collections import Counter
from datetime import timedelta

from aiosmtpd.controller import Controller
from sqlalchemy import func
from sqlmodel import Session, select

from bot.compose import build_service
from bot.jobs.dispatcher import dispatch_due
from bot.jobs.planning import run_planning
from schedules.models import Delivery, DeliveryStatus
from tests.conftest import RecordingHandler, free_port, utc
from tests.helpers import add_people

START = utc(2026, 11, 24, 12)
SCALE = 100  # simulated seconds per real second
RELAY_DELAY = 0.15  # real seconds a message (15 s on the dispatchers' clock)


class SlowHandler(RecordingHandler):
    async def handle_DATA(self, server, session, envelope):
        await asyncio.sleep(RELAY_DELAY)
        return await super().handle_DATA(server, session, envelope)


def scaled_clock():
    t0 = time.monotonic()
    return lambda: START + timedelta(seconds=(time.monotonic() - t0) * SCALE)


async def test_slow_relay_with_two_dispatchers_sends_each_message_once(settings):
    handler = SlowHandler()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        smtp = settings.model_copy(update={"smtp_url": f"smtp://127.0.0.1:{port}", "smtp_connections": 1, "dispatch_batch": 60})
        first, second = build_service(smtp), build_service(smtp)
        add_people(first.engine, [f"p{i}@example.org,Person {i},gp,Surgery,NHS,Europe/London,Tuesday,10:00" for i in range(80)])
        run_planning(first, START)
        clock = scaled_clock()

        def all_sent() -> bool:
            with Session(first.engine) as session:
                return session.exec(select(func.count()).where(Delivery.status != DeliveryStatus.SENT)).one() == 0

        async def ticking(service) -> None:  # each replica ticks every 30 simulated seconds until all is sent
            while not all_sent():
                await dispatch_due(service, clock)
                await asyncio.sleep(30 / SCALE)

        await asyncio.wait_for(asyncio.gather(ticking(first), ticking(second)), timeout=90)
        await first.close()
        await second.close()
    finally:
        controller.stop()
    copies = Counter(address for envelope in handler.messages for address in envelope.rcpt_tos)
    assert len(copies) == 80, "every planned message is delivered"
    assert [a for a, n in copies.items() if n > 1] == [], "no message goes out twice"
