"""Plan reminders and follow-ups (issue 13) with the pure loop planner, and write them to the outbox
idempotently: the outbox's unique (person, kind, period) means one reminder per nudge and one follow-up
per commitment, however many replicas plan at once."""

from datetime import datetime, timedelta

from sqlmodel import Session

from bot.core.service import Service
from schedules.loop_planner import plan_followups, plan_reminders
from schedules.loop_store import commitments, sent_nudges
from schedules.outbox import insert_planned
from schedules.planner import PlannedDelivery


def plan_loop(
    service: Service, now: datetime, *, horizon: timedelta = timedelta(minutes=5), dry_run: bool = False
) -> list[PlannedDelivery]:
    """Follow-ups first (each takes a week's place), then reminders. Returns what was planned."""
    settings = service.settings
    planned: list[PlannedDelivery] = []
    with Session(service.engine) as session:
        if settings.followups:
            found = commitments(session, now=now, min_age=timedelta(weeks=settings.followup_weeks) - timedelta(days=7))
            planned += plan_followups(found, now, weeks=settings.followup_weeks, hours=service.hours, horizon=horizon)
        if settings.reminders:
            # calendar days are at most working days, so this only narrows the query, never drops a due one
            nudges = sent_nudges(session, now=now, min_age=timedelta(days=settings.reminder_days))
            planned += plan_reminders(nudges, now, delay_days=settings.reminder_days, hours=service.hours, horizon=horizon)
        if planned and not dry_run:
            insert_planned(session, planned=planned, now=now)
            session.commit()
    return planned
