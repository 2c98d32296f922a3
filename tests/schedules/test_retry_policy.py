"""Retries back off to at most an hour, last 24 hours from the first due time, and stop at the week's end."""

from datetime import timedelta

import pytest

from bot.core.settings import Settings, SettingsError
from schedules.retry_policy import after_transient_failure, backoff, week_end
from tests.conftest import utc

DAY = timedelta(hours=24)


def test_backoff_doubles_from_a_minute_and_is_capped_at_an_hour():
    assert [backoff(n) for n in (1, 2, 3, 6, 7, 8, 50)] == [timedelta(minutes=m) for m in (1, 2, 4, 32, 60, 60, 60)]


def test_week_end_is_local_monday_midnight():
    assert week_end("2026-W48", "Europe/London") == utc(2026, 11, 30, 0)
    assert week_end("2026-W48", "America/New_York") == utc(2026, 11, 30, 5)
    assert week_end("2026-W13", "Europe/London") == utc(2026, 3, 29, 23)  # after the clocks went forward


def test_an_outage_of_half_an_hour_is_retried_not_failed():
    first = utc(2026, 11, 24, 10)
    steps = [
        after_transient_failure(
            error="421", attempts=n, first_due=first, ends=utc(2026, 11, 30), now=first + timedelta(minutes=2**n), retry_for=DAY
        )
        for n in range(1, 7)
    ]
    assert [s.outcome for s in steps] == ["retry"] * 6


def test_gives_up_after_the_window_and_expires_at_the_week_end():
    first = utc(2026, 11, 24, 10)
    late = after_transient_failure(
        error="421", attempts=30, first_due=first, ends=utc(2026, 11, 30), now=first + DAY, retry_for=DAY
    )
    assert late.outcome == "failed" and late.detail.startswith("gave up after 30 attempts over 24 hours")
    sunday = after_transient_failure(
        error="421",
        attempts=9,
        first_due=utc(2026, 11, 29, 10),
        ends=utc(2026, 11, 30),
        now=utc(2026, 11, 29, 23, 30),
        retry_for=DAY,
    )
    assert sunday.outcome == "expired"


@pytest.mark.parametrize("value", ["0", "169", "-1"])
def test_retry_hours_out_of_range_is_refused_by_name(monkeypatch, value):
    monkeypatch.setenv("LESSONLOOP_RETRY_HOURS", value)
    with pytest.raises(SettingsError, match="LESSONLOOP_RETRY_HOURS"):
        Settings()
