"""Run the pure planner against the database and write its deliveries."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session

from bot.core.service import Service
from bot.jobs.loop_planning import plan_loop
from schedules.loop_store import with_followup_weeks
from schedules.lesson_versions import record_versions
from schedules.outbox import histories, insert_planned
from schedules.people import planning_recipients, set_next_plan_at
from schedules.planner import History, PlannedDelivery, next_plan_at, plan


@dataclass(frozen=True)
class PlanResult:
    planned: list[PlannedDelivery]
    inserted: int


PAGE = 2000  # people planned per step: memory stays flat however large the organisation


def run_planning(
    service: Service,
    now: datetime,
    *,
    dry_run: bool = False,
    immediate: bool = False,
    horizon: timedelta = timedelta(minutes=5),
    keep_planned: bool = True,
) -> PlanResult:
    """Plan everyone whose next planning time has come (everyone, with `immediate`), a page of people at a
    time, each page in its own transaction, and record when each of them next needs looking at."""
    lessons = list(service.lessons.values())
    loop_planned = [] if immediate else plan_loop(service, now, horizon=horizon, dry_run=dry_run)
    all_planned: list[PlannedDelivery] = []
    inserted, after = 0, None
    due_by = None if immediate else now + horizon
    while True:
        with Session(service.engine) as session:
            page = planning_recipients(session, due_by=due_by, after=after, limit=PAGE)
            if not page:
                break
            after = (page[-1][1], page[-1][0].id)
            people = [person for person, _ in page]
            found = with_followup_weeks(
                session, histories(session, person_ids=[p.id for p in people]), person_ids=[p.id for p in people]
            )
            planned = plan(people, lessons, found, now, hours=service.hours, horizon=horizon, immediate=immediate)
            if not dry_run:
                if planned:
                    used = {p.lesson_id for p in planned}
                    record_versions(session, lessons=[l for l in lessons if l.id in used], now=now)
                    inserted += insert_planned(session, planned=planned, now=now)
                chosen = {p.person_id for p in planned}
                # looked at "now + horizon": a slot inside the horizon counts as this tick's
                set_next_plan_at(
                    session,
                    {
                        p.id: next_plan_at(p, found.get(p.id, History()), now + horizon, planned_now=p.id in chosen)
                        for p in people
                    },
                )
                session.commit()
        if keep_planned:
            all_planned += planned
    return PlanResult(all_planned + (loop_planned if keep_planned else []), inserted + (0 if dry_run else len(loop_planned)))
