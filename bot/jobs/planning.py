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
from schedules.plan_times import set_next_plan_at
from schedules.planner import History, PlannedDelivery, next_plan_at, plan
from schedules.rollout import Rollout, plan_checkins
from schedules.rollout_store import checkin_periods, rollout


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
    recorded: set[str] = set()  # lessons whose version this run has stored already: each is written once a run
    due_by = None if immediate else now + horizon
    with Session(service.engine) as session:
        staged = rollout(session)  # a staged roll-out (issue 13, part 5): teams held until their wave starts
    checkins = [] if staged is None else plan_checkins_now(service, staged, now, horizon=horizon, dry_run=dry_run)
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
            planned = plan(
                people,
                lessons,
                found,
                now,
                hours=service.hours,
                horizon=horizon,
                immediate=immediate,
                wave_starts=staged.starts if staged else None,
            )
            if not dry_run:
                if planned:
                    used = {p.lesson_id for p in planned} - recorded
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
                recorded |= used if planned else set()
        if keep_planned:
            all_planned += planned
    extra = loop_planned + checkins
    return PlanResult(all_planned + (extra if keep_planned else []), inserted + (0 if dry_run else len(extra)))


def plan_checkins_now(
    service: Service, staged: Rollout, now: datetime, *, horizon: timedelta, dry_run: bool
) -> list[PlannedDelivery]:
    """The roll-out's check-ins due now, for everyone in its teams (only in the days around a step, and
    only its teams' people), written once whoever plans."""
    if not staged.near_a_step(now, horizon):
        return []
    lessons = list(service.lessons.values())
    with Session(service.engine) as session:
        people = [p for p, _ in planning_recipients(session, team_ids=list(staged.starts))]
        before = checkin_periods(session, person_ids=[p.id for p in people])
        planned = plan_checkins(people, lessons, staged, before, now, hours=service.hours, horizon=horizon)
        if planned and not dry_run:
            record_versions(session, lessons=[l for l in lessons if l.id in {p.lesson_id for p in planned}], now=now)
            insert_planned(session, planned=planned, now=now)
            session.commit()
    return planned
