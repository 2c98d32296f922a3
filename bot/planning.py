"""Run the pure planner against the database and write its deliveries."""
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session

from bot.service import Service
from schedules.lesson_versions import record_versions
from schedules.outbox import histories, insert_planned
from schedules.people import planning_recipients
from schedules.planner import PlannedDelivery, plan


@dataclass(frozen=True)
class PlanResult:
    planned: list[PlannedDelivery]
    inserted: int


def run_planning(service: Service, now: datetime, *, dry_run: bool = False, immediate: bool = False,
                 horizon: timedelta = timedelta(minutes=5)) -> PlanResult:
    with Session(service.engine) as session:
        people = planning_recipients(session)
        planned = plan(people, list(service.lessons.values()), histories(session), now,
                       hours=service.hours, horizon=horizon, immediate=immediate)
        if dry_run:
            return PlanResult(planned, 0)
        used = {p.lesson_id for p in planned}
        record_versions(session, lessons=[l for l in service.lessons.values() if l.id in used], now=now)
        inserted = insert_planned(session, planned=planned, now=now)
        session.commit()
        return PlanResult(planned, inserted)
