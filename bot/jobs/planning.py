"""Run the pure planner against the database and write its deliveries."""
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session

from bot.core.service import Service
from bot.jobs.loop_planning import plan_loop
from schedules.loop_store import with_followup_weeks
from schedules.lesson_versions import record_versions
from schedules.outbox import histories, insert_planned
from schedules.people import planning_recipients
from schedules.planner import PlannedDelivery, plan


@dataclass(frozen=True)
class PlanResult:
    planned: list[PlannedDelivery]
    inserted: int


PAGE = 2000  # people planned per step: memory stays flat however large the organisation


def run_planning(service: Service, now: datetime, *, dry_run: bool = False, immediate: bool = False,
                 horizon: timedelta = timedelta(minutes=5), keep_planned: bool = True) -> PlanResult:
    """Plan everyone, a page of people at a time, each page in its own transaction."""
    lessons = list(service.lessons.values())
    loop_planned = [] if immediate else plan_loop(service, now, horizon=horizon, dry_run=dry_run)
    all_planned: list[PlannedDelivery] = []
    inserted, after_id = 0, 0
    while True:
        with Session(service.engine) as session:
            people = planning_recipients(session, after_id=after_id, limit=PAGE)
            if not people:
                break
            after_id = people[-1].id
            found = with_followup_weeks(session, histories(session, person_ids=[p.id for p in people]),
                                        person_ids=[p.id for p in people])
            planned = plan(people, lessons, found, now, hours=service.hours, horizon=horizon, immediate=immediate)
            if not dry_run and planned:
                used = {p.lesson_id for p in planned}
                record_versions(session, lessons=[l for l in lessons if l.id in used], now=now)
                inserted += insert_planned(session, planned=planned, now=now)
                session.commit()
        if keep_planned:
            all_planned += planned
    return PlanResult(all_planned + (loop_planned if keep_planned else []), inserted + (0 if dry_run else len(loop_planned)))
