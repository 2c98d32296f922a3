"""The pure reminder and follow-up planner: no clock, database or network."""

from datetime import time, timedelta

from schedules.loop_planner import (
    Commitment,
    SentNudge,
    add_working_days,
    followup_slot,
    plan_followups,
    plan_reminders,
    reminder_period,
)
from schedules.planner import Recipient
from schedules.slots import WorkingHours
from tests.conftest import utc

PERSON = Recipient(7, "social-worker", "Europe/London", 1, time(10, 0), channel="slack", team_id=3, agency="Council")
TUESDAY = utc(2026, 11, 24, 10)  # 10:00 in London


def nudge(**kw) -> SentNudge:
    return SentNudge(
        **(
            {
                "delivery_id": 41,
                "person": PERSON,
                "sent_at": TUESDAY,
                "lesson_id": "seen-child",
                "lesson_version": "v1",
                "channel": "slack",
            }
            | kw
        )
    )


def test_three_working_days_skip_the_weekend_and_keep_the_local_time():
    assert add_working_days(TUESDAY, 3, "Europe/London", WorkingHours()) == utc(2026, 11, 27, 10)  # Friday
    thursday = utc(2026, 11, 26, 10)
    assert add_working_days(thursday, 3, "Europe/London", WorkingHours()) == utc(2026, 12, 1, 10)  # Tuesday
    # Sent at 19:00 New York time: three working days on, outside working hours, so the next morning at 08:00
    evening = utc(2026, 11, 25, 0)  # Tuesday 19:00 in New York
    assert add_working_days(evening, 3, "America/New_York", WorkingHours()) == utc(2026, 11, 30, 13)  # Monday 08:00 EST


def test_a_reminder_is_planned_once_due_in_the_nudge_channel_and_points_at_the_nudge():
    assert plan_reminders([nudge()], utc(2026, 11, 27, 9, 59)) == []
    [planned] = plan_reminders([nudge()], utc(2026, 11, 27, 10))
    assert (planned.kind, planned.parent_id, planned.period, planned.channel) == ("reminder", 41, reminder_period(41), "slack")
    assert (planned.lesson_id, planned.role, planned.team_id, planned.agency) == ("seen-child", "social-worker", 3, "Council")
    assert planned.due_at == utc(2026, 11, 27, 10)


def test_no_reminder_once_the_next_lesson_is_due():
    assert len(plan_reminders([nudge()], utc(2026, 11, 30, 17))) == 1  # Monday: still before Tuesday's slot
    assert plan_reminders([nudge()], utc(2026, 12, 1, 10)) == []  # Tuesday 10:00: the next lesson goes instead
    assert plan_reminders([nudge()], utc(2026, 12, 1, 12), delay_days=5) == []  # a delay past the next slot: none


def test_no_reminder_when_answered_switched_off_already_reminded_or_not_active():
    later = utc(2026, 11, 30, 12)
    assert len(plan_reminders([nudge()], later)) == 1
    for kw in (
        {"answered": True},
        {"reminders_on": False},
        {"lesson_reminded": True},
        {"person": Recipient(7, "gp", "Europe/London", 1, time(10), status="paused")},
    ):
        assert plan_reminders([nudge(**kw)], later) == [], kw


def test_a_late_reminder_waits_for_working_hours():
    saturday = utc(2026, 11, 28, 12)
    [planned] = plan_reminders([nudge(sent_at=utc(2026, 11, 24, 17, 30))], saturday)
    assert planned.due_at == utc(2026, 11, 30, 8)  # Monday 08:00, not the weekend


def commitment(**kw) -> Commitment:
    return Commitment(
        **(
            {
                "delivery_id": 41,
                "person": PERSON,
                "replied_at": TUESDAY + timedelta(hours=2),
                "lesson_id": "seen-child",
                "lesson_version": "v1",
                "channel": "teams",
                "practice": "changed",
            }
            | kw
        )
    )


def test_a_follow_up_comes_at_the_weekly_slot_four_weeks_on_in_a_free_week():
    week, at = followup_slot(commitment(), 4)
    # the reply was at 12:00 on 24 November, so 22 December's 10:00 slot is short of four weeks: the next one
    assert (week, at) == ("2026-W53", utc(2026, 12, 29, 10))
    week, at = followup_slot(commitment(busy_weeks=frozenset({"2026-W53", "2027-W01"})), 4)
    assert (week, at) == ("2027-W02", utc(2027, 1, 12, 10))
    assert plan_followups([commitment()], utc(2026, 12, 29, 9)) == []
    [planned] = plan_followups([commitment()], utc(2026, 12, 29, 10))
    assert (planned.kind, planned.parent_id, planned.period, planned.channel) == ("followup", 41, "f41", "teams")


def test_only_commitments_are_followed_up():
    later = utc(2027, 1, 5, 12)
    assert len(plan_followups([commitment(practice="not_yet")], later)) == 1
    assert plan_followups([commitment(practice="already")], later) == []
    assert plan_followups([commitment(practice=None)], later) == []


def test_the_remindable_bound_holds_in_every_zone_and_skips_what_the_weekend_delays():
    """Every nudge whose reminder is due by the tick is sent by latest_remindable (checked in zones with
    half-hour and 45-minute offsets, across both clock changes, for every sending time on a 20-minute
    grid); and on a Sunday it leaves out Wednesday afternoon's and Thursday's nudges, whose reminders wait
    for the working week (a calendar-day bound read them every minute of the weekend)."""
    from schedules.loop_planner import latest_remindable

    hours = WorkingHours()
    zones = ["Europe/London", "Asia/Kolkata", "Asia/Kathmandu", "America/St_Johns", "Pacific/Kiritimati", "Pacific/Pago_Pago"]
    for due_by in (utc(2026, 3, 29, 9, 10), utc(2026, 10, 26, 7, 55), utc(2026, 11, 29, 12), utc(2026, 12, 1, 8, 30)):
        for days in (1, 3, 5):
            bound = latest_remindable(due_by, days, hours)
            sent = due_by - timedelta(days=2 * days + 10)
            while sent <= due_by:
                for zone in zones:
                    if add_working_days(sent, days, zone, hours) <= due_by:
                        assert sent <= bound, (due_by, days, sent, zone)
                sent += timedelta(minutes=20)
    sunday = utc(2026, 11, 29, 12)
    assert latest_remindable(sunday, 3, hours) < utc(2026, 11, 25, 12) < sunday - timedelta(days=3)
