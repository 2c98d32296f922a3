"""The limiter keeps every window, measured on a fake clock that only moves when it sleeps."""

from bot.core.pacing import WEBHOOK_LIMITS, Limiter
from bot.core.retry import retry_after


class FakeTime:
    def __init__(self):
        self.now, self.slept = 0.0, []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


async def test_webhook_limits_allow_4_a_second_and_60_in_30_seconds():
    fake = FakeTime()
    limiter = Limiter(WEBHOOK_LIMITS, clock=fake.clock, sleep=fake.sleep)
    stamps = []
    for _ in range(130):
        await limiter.acquire()
        stamps.append(fake.now)
    for i in range(len(stamps)):
        assert sum(1 for t in stamps[i:] if t < stamps[i] + 1.0) <= 4
        assert sum(1 for t in stamps[i:] if t < stamps[i] + 30.0) <= 60
    assert stamps[3] == 0.0 and stamps[4] == 1.0  # the fifth waits a second, no longer
    assert stamps[60] == 30.0  # the 61st waits for the 30-second window


def test_retry_after_prefers_the_server_and_is_capped():
    assert retry_after("3", 0) == 3.0
    assert retry_after(None, 2) == 4.0
    assert retry_after("soon", 1) == 2.0
    assert retry_after("9999", 0) == 60.0
