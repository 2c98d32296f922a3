"""The limiter keeps every window, measured on a fake clock that only moves when it sleeps."""

import pytest

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


def test_web_processes_each_keep_a_share_that_adds_up_to_no_more_than_the_limit():
    from bot.core.pacing import CONVERSATION_LIMITS, TENANT_LIMITS, even_spread, shared

    assert shared(TENANT_LIMITS, 1) == TENANT_LIMITS
    assert shared(TENANT_LIMITS, 2) == ((25, 1.0),)
    assert shared(CONVERSATION_LIMITS, 3) == ((2, 1.0), (2, 2.0), (20, 30.0), (600, 3600.0))
    assert shared(even_spread(600), 2) == ((1, 0.2),)  # one event every 0.2 s each: 600 a minute together
    for windows in (TENANT_LIMITS, CONVERSATION_LIMITS, even_spread(7)):
        for processes in (2, 3, 5, 8):
            for (count, seconds), (mine, my_seconds) in zip(windows, shared(windows, processes), strict=True):
                assert processes * mine * seconds / my_seconds <= count  # together, within the published rate


def test_a_limiter_made_in_a_web_worker_uses_its_share(monkeypatch):
    from bot.core import pacing

    monkeypatch.setattr(pacing, "_processes_sharing", 1)
    pacing.share_limits_among(4)
    assert pacing.Limiter(pacing.TENANT_LIMITS).windows == ((12, 1.0),)
    with pytest.raises(ValueError):
        pacing.share_limits_among(0)
