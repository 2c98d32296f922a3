"""Plan reminders and follow-ups (issue 13) and impact questions (issue 17) with the pure planners, and write
them to the outbox idempotently: the outbox's unique (person, kind, period) means one reminder per nudge, one
follow-up per commitment and one impact question a month per person, however many replicas plan at once."""

from dataclasses import replace
from datetime import datetime, timedelta

from sqlmodel import Session

from bot.core.service import Service
from lesson_bank.model import Status
from schedules.impact_planner import as_planned, plan_impact
from schedules.impact_store import impact_people
from schedules.loop_planner import latest_remindable, plan_followups, plan_reminders, week_of
from schedules.loop_store import commitments, sent_nudges
from schedules.outbox import insert_planned
from schedules.planner import PlannedDelivery


def plan_loop(
    service: Service, now: datetime, *, horizon: timedelta = timedelta(minutes=5), dry_run: bool = False
) -> list[PlannedDelivery]:
    """Follow-ups first (each takes a week's place), then impact questions (in a week still free), then
    reminders. Returns what was planned."""
    settings = service.settings
    planned: list[PlannedDelivery] = []
    with Session(service.engine) as session:
        if settings.followups:
            # a follow-up's slot is never before the reply plus `followup_weeks`, so a younger commitment cannot be
            # due this tick: reading it every minute for the week before (as `- 7 days` did) only cost time
            found = commitments(
                session, now=now, min_age=timedelta(weeks=settings.followup_weeks) - horizon, due_by=now + horizon
            )
            planned += plan_followups(found, now, weeks=settings.followup_weeks, hours=service.hours, horizon=horizon)
        if settings.impact_intervals:
            planned += _impact(service, session, now, horizon=horizon, taken=planned)
        if settings.reminders:
            sent_by = latest_remindable(now + horizon, settings.reminder_days, service.hours)
            nudges = sent_nudges(session, now=now, sent_by=sent_by)
            planned += plan_reminders(nudges, now, delay_days=settings.reminder_days, hours=service.hours, horizon=horizon)
        if planned and not dry_run:
            insert_planned(session, planned=planned, now=now)
            session.commit()
    return planned


def _impact(
    service: Service, session: Session, now: datetime, *, horizon: timedelta, taken: list[PlannedDelivery]
) -> list[PlannedDelivery]:
    """Impact questions about lessons still published, never in a week a follow-up planned this tick holds."""
    settings = service.settings
    sendable = {i for i, lesson in service.lessons.items() if lesson.status is Status.PUBLISHED}
    found = impact_people(session, now=now, due_by=now + horizon, intervals=settings.impact_intervals, lessons=sendable)
    recipients = {person.id: to for person, to in found}
    people = [
        replace(
            person, busy_weeks=person.busy_weeks | {week_of(p.due_at, person.timezone) for p in taken if p.person_id == person.id}
        )
        for person, _ in found
    ]
    due = plan_impact(
        people,
        now,
        intervals=settings.impact_intervals,
        sample_rate=settings.impact_sample,
        secret=settings.signing_key(),
        horizon=horizon,
    )
    return [as_planned(d, recipients[d.person_id], now, service.hours) for d in due]
