"""Run the pure planner against the database and write its deliveries."""

from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlmodel import Session

from bot.core.service import Service
from lesson_bank.model import Lesson
from bot.jobs.loop_planning import plan_loop
from schedules.lesson_versions import record_versions
from schedules.outbox import histories, insert_planned, refresh_statistics
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


@dataclass
class _Writes:
    """What one run writes: each lesson's version once (not once a page), and the deliveries of each page."""

    lessons: list[Lesson]
    now: datetime
    dry_run: bool
    recorded: set[str] = field(default_factory=set)

    def deliveries(self, session: Session, planned: list[PlannedDelivery]) -> int:
        """Write these in the session's transaction (the caller commits); how many were new."""
        if self.dry_run or not planned:
            return 0
        new = {p.lesson_id for p in planned} - self.recorded
        record_versions(session, lessons=[l for l in self.lessons if l.id in new], now=self.now)
        self.recorded |= new
        return insert_planned(session, planned=planned, now=self.now)


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
    writes = _Writes(lessons, now, dry_run)
    loop_planned = [] if immediate else plan_loop(service, now, horizon=horizon, dry_run=dry_run)
    all_planned: list[PlannedDelivery] = []
    after = None
    due_by = None if immediate else now + horizon
    with Session(service.engine) as session:
        staged = rollout(session)  # a staged roll-out (issue 13, part 5): teams held until their wave starts
    checkins, kept_checkins = 0, list[PlannedDelivery]()
    if staged is not None and staged.near_a_step(now, horizon):
        checkins = plan_checkins_now(service, staged, now, writes, horizon=horizon, keep=kept_checkins if keep_planned else None)

    def write(planned: list[PlannedDelivery], moments: dict[int, datetime]) -> int:
        with Session(service.engine) as session:
            written = writes.deliveries(session, planned)
            set_next_plan_at(session, moments)
            session.commit()
        return written

    # PostgreSQL writes two pages at once on two connections (its server has the CPU to spare while Python
    # plans); SQLite has one writer at a time, so a second would only wait
    with _WrittenBehind(2 if service.engine.dialect.name == "postgresql" else 1) as behind:
        while True:
            with Session(service.engine) as session:
                page = planning_recipients(session, due_by=due_by, after=after, limit=PAGE)
                if not page:
                    break
                after = (page[-1][1], page[-1][0].id)
                people = [person for person, _ in page]
                found = histories(session, zones={p.id: p.timezone for p in people})
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
                chosen = {p.person_id for p in planned}
                # looked at "now + horizon": a slot inside the horizon counts as this tick's
                moments = {
                    p.id: next_plan_at(p, found.get(p.id, History()), now + horizon, planned_now=p.id in chosen) for p in people
                }
                behind.submit(write, planned, moments)
            if keep_planned:
                all_planned += planned
    loop_written = 0 if dry_run else len(loop_planned)
    refresh_statistics(service.engine, behind.written)  # the outbox's statistics, before the dispatcher claims
    return PlanResult(
        all_planned + (loop_planned if keep_planned else []) + kept_checkins, behind.written + loop_written + checkins
    )


class _WrittenBehind:
    """Each page is written (its deliveries and next planning times, in one transaction) on a thread of its
    own while the next page is read and planned: the database works on earlier pages while Python plans the
    next, instead of each waiting for the other. At most `in_flight` writes at once, so memory holds that
    many pages and one more. Pages are independent (different people), so they may commit in any order; a
    page that fails leaves its people due, planned again on the next tick. Leaving the block waits for every
    write; a failed write raises at a later page or on leaving."""

    def __init__(self, in_flight: int) -> None:
        self._pool = ThreadPoolExecutor(max_workers=in_flight, thread_name_prefix="planning-writes")
        self._pending: deque[Future[int]] = deque()
        self._in_flight = in_flight
        self.written = 0

    def submit(self, write: Callable[..., int], *args) -> None:
        while len(self._pending) >= self._in_flight:
            self.written += self._pending.popleft().result()
        self._pending.append(self._pool.submit(write, *args))

    def __enter__(self) -> "_WrittenBehind":
        return self

    def __exit__(self, error_type, *_) -> None:
        try:
            while error_type is None and self._pending:
                self.written += self._pending.popleft().result()
        finally:
            self._pool.shutdown(wait=True)  # after an error elsewhere, the writes in flight still end cleanly


def plan_checkins_now(
    service: Service,
    staged: Rollout,
    now: datetime,
    writes: _Writes,
    *,
    horizon: timedelta,
    keep: list[PlannedDelivery] | None,
) -> int:
    """The roll-out's check-ins due now (in the days around a step) for everyone in its teams, a page of
    people at a time, written once whoever plans; appended to `keep` if given. Returns how many were due
    (written, unless a dry run)."""
    lessons = list(service.lessons.values())
    due, after = 0, None
    while True:
        with Session(service.engine) as session:
            page = planning_recipients(session, team_ids=list(staged.starts), after=after, limit=PAGE)
            if not page:
                return due
            after = (page[-1][1], page[-1][0].id)
            people = [p for p, _ in page]
            before = checkin_periods(session, person_ids=[p.id for p in people])
            planned = plan_checkins(people, lessons, staged, before, now, hours=service.hours, horizon=horizon)
            writes.deliveries(session, planned)
            session.commit()
        due += 0 if writes.dry_run else len(planned)
        if keep is not None:
            keep += planned
