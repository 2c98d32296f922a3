"""The dispatcher sends with a short thread switch interval (issue 16), and gives the process's own back."""

import asyncio
import sys

import pytest

from bot.core.switching import DISPATCH_SWITCH_INTERVAL, short_switch_interval
from bot.jobs.dispatcher import dispatch_due
from bot.jobs.planning import run_planning
from tests.conftest import utc
from tests.helpers import add_people

NOW = utc(2026, 11, 24, 12)


def close(seconds: float):
    return pytest.approx(seconds, rel=0.05)  # the interpreter keeps whole microseconds


@pytest.fixture
def default_interval():
    before = sys.getswitchinterval()
    sys.setswitchinterval(0.005)
    yield 0.005
    sys.setswitchinterval(before)


def test_the_interval_is_short_inside_and_comes_back_after_the_last_overlapping_block(default_interval):
    first, second = short_switch_interval(), short_switch_interval()
    first.__enter__()
    assert sys.getswitchinterval() == close(DISPATCH_SWITCH_INTERVAL)
    second.__enter__()
    first.__exit__(None, None, None)  # the first dispatch ends while another still sends
    assert sys.getswitchinterval() == close(DISPATCH_SWITCH_INTERVAL)
    second.__exit__(None, None, None)
    assert sys.getswitchinterval() == close(default_interval)
    with pytest.raises(RuntimeError), short_switch_interval():
        raise RuntimeError("a send failed")
    assert sys.getswitchinterval() == close(default_interval)


def test_a_shorter_interval_the_process_set_itself_is_kept(default_interval):
    sys.setswitchinterval(0.0001)
    with short_switch_interval():
        assert sys.getswitchinterval() == close(0.0001)
    assert sys.getswitchinterval() == close(0.0001)


def test_dispatch_sends_with_the_short_interval(service, default_interval):
    add_people(service.engine, ["ann@example.org,Ann,gp,Surgery,NHS,Europe/London,Tuesday,10:00"])
    run_planning(service, NOW)
    email = service.channels["email"]
    seen: list[float] = []
    deliver = email.deliver

    async def recording(prepared):
        seen.append(sys.getswitchinterval())
        return await deliver(prepared)

    email.deliver = recording
    assert asyncio.run(dispatch_due(service, lambda: NOW)).sent == 1
    assert seen == [close(DISPATCH_SWITCH_INTERVAL)]
    assert sys.getswitchinterval() == close(default_interval)
