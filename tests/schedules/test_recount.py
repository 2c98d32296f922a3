"""The rollup's refreshers never make a page wait (issue 16): a page reads the rollup as it is while another
refresher holds the lock, and the distinct-people recount holds no lock while it counts, writes only what
changed in short transactions, and stops if a full rebuild overtakes it."""

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import event, func, text, update
from sqlmodel import Session, col, select

from bot.core.clock import utcnow
from bot.core.stats import fresh, refresh_rollup, stats_table, theme_map
from schedules.models import Delivery, Reply, StatCell, StatState
from schedules.rollup import ALL_TIME, NEVER, mark_stale, people_changes, recount_all_time, refresh
from schedules.statistics import Filter
from tests.seed_history import seed_history

PAGE_SECONDS = 5  # a page that waits for a refresher waits far longer (until it lets go)
ALL_TIME_WRITE = re.compile(
    r"^(UPDATE statcell SET people|DELETE FROM statcell WHERE statcell\.(period = |id IN)|INSERT INTO statcell \([^)]*\) VALUES)"
)


@pytest.fixture
def history(service):
    seed_history(service.engine, list(service.lessons.values()), teams=3, per_team=8, weeks=4)
    refresh_rollup(service)
    return service


def all_time_cells(engine) -> dict[tuple, tuple[int, int]]:
    with Session(engine) as session:
        cells = session.exec(select(StatCell).where(StatCell.period == ALL_TIME)).all()
        return {(c.grain, c.dim, c.key, c.team_id, c.agency): (c.id, c.people) for c in cells}


def make_recount_due(engine, *, zero_counts: bool = False) -> None:
    with Session(engine) as session:
        session.execute(update(StatState).values(people_at=utcnow() - timedelta(days=1)))
        if zero_counts:  # every count then changes: the recount has cells to write
            session.execute(update(StatCell).where(col(StatCell.period) == ALL_TIME).values(people=0))
        session.commit()


def touch_a_week(engine) -> tuple[str, int]:
    """A reply changed now (so a page's refresh has a week to recompute): its week and team."""
    with Session(engine) as session:
        reply = session.exec(select(Reply).where(Reply.practice != "changed").order_by(col(Reply.id))).first()
        assert reply is not None
        reply.practice, reply.updated_at = "changed", utcnow()
        session.add(reply)
        session.commit()
        nudge = session.get(Delivery, reply.delivery_id)
        assert nudge is not None and nudge.team_id is not None
        return nudge.period, nudge.team_id


def changed_in(engine, week: str, team_id: int) -> int:
    with Session(engine) as session:
        query = select(StatCell.changed).where(
            StatCell.grain == "team", StatCell.dim == "base", StatCell.period == week, StatCell.team_id == team_id
        )
        return session.exec(query).one()


def page_in_thread(service) -> threading.Thread:
    def page() -> None:
        with Session(service.engine) as session:
            stats_table(service, session, by="week", where=Filter())

    thread = threading.Thread(target=page, daemon=True)
    thread.start()
    return thread


@contextmanager
def paused(engine, pattern: re.Pattern, thread_name: str) -> Iterator[tuple[threading.Event, threading.Event]]:
    """Holds the thread `thread_name` just after its first statement matching `pattern` (in the middle of its
    transaction, with whatever locks that statement took) until `go` is set."""
    reached, go = threading.Event(), threading.Event()

    def hold(_conn, _cursor, statement, *_args) -> None:
        if threading.current_thread().name == thread_name and not reached.is_set() and pattern.search(statement):
            reached.set()
            go.wait(30)

    event.listen(engine, "after_cursor_execute", hold)
    try:
        yield reached, go
    finally:
        go.set()
        event.remove(engine, "after_cursor_execute", hold)


def test_people_changes_writes_only_what_changed():
    def row(key: str, people: int) -> dict:
        return {"grain": "team", "dim": "theme", "key": key, "team_id": 1, "agency": "A", "people": people}

    current = {
        ("team", "theme", "same", 1, "A"): (10, 7),
        ("team", "theme", "grew", 1, "A"): (11, 3),
        ("team", "theme", "gone", 1, "A"): (12, 5),
    }
    inserts, updates, deletes = people_changes([row("same", 7), row("grew", 4), row("new", 6)], current)
    assert inserts == [row("new", 6)]
    assert updates == [{"id": 11, "people": 4}]
    assert deletes == [12]


def test_a_page_reads_the_rollup_while_another_connection_holds_the_refreshers_lock(history):
    service = history
    week, team_id = touch_a_week(service.engine)
    before = changed_in(service.engine, week, team_id)
    holder = service.engine.connect()
    try:
        if holder.dialect.name == "postgresql":  # the refreshers' advisory lock
            holder.execute(text("SELECT pg_advisory_xact_lock(6006)"))
        else:  # SQLite: the database's write lock
            holder.exec_driver_sql("UPDATE statstate SET id = id WHERE id = 0")
        page = page_in_thread(service)
        page.join(PAGE_SECONDS)
        assert not page.is_alive(), "the page waited for the refresher's lock"
        assert changed_in(service.engine, week, team_id) == before  # it read the rollup as it was
    finally:
        holder.rollback()
        holder.close()
    with Session(service.engine) as session:
        fresh(service, session)  # the lock is free: the next page refreshes
    assert changed_in(service.engine, week, team_id) > before


def test_a_page_completes_while_a_recount_is_writing(history):
    service = history
    make_recount_due(service.engine, zero_counts=True)
    touch_a_week(service.engine)  # changed within the clock-skew margin: every refresh, the page's too, has a week to write
    recount = threading.Thread(target=refresh_rollup, args=(service,), name="recount", daemon=True)
    with paused(service.engine, ALL_TIME_WRITE, "recount") as (reached, go):
        recount.start()
        assert reached.wait(30), "the recount never wrote an all-time cell"
        page = page_in_thread(service)
        page.join(PAGE_SECONDS)
        assert not page.is_alive(), "the page waited for the recount"
        go.set()
        recount.join(30)
    assert not recount.is_alive()
    assert all(people > 0 for _, people in all_time_cells(service.engine).values())


def test_a_recount_counts_without_a_lock_and_stops_when_a_full_rebuild_overtakes_it(history):
    """While it counts, a full rebuild (after people are forgotten) runs to its end; the recount then writes
    nothing it counted before the rebuild, and leaves the counts due for the next tick."""
    service = history
    make_recount_due(service.engine, zero_counts=True)
    recount = threading.Thread(target=refresh_rollup, args=(service,), name="recount", daemon=True)
    with paused(service.engine, re.compile(r"count\(DISTINCT", re.IGNORECASE), "recount") as (reached, go):
        recount.start()
        assert reached.wait(30)
        rebuild = threading.Thread(target=_rebuild_without_recount, args=(service,), daemon=True)
        rebuild.start()
        rebuild.join(PAGE_SECONDS)
        assert not rebuild.is_alive(), "the rebuild waited for the recount's counting"
        go.set()
        recount.join(30)
    assert not recount.is_alive()
    assert all_time_cells(service.engine) == {}
    with Session(service.engine) as session:
        state = session.get(StatState, 1)
        assert state is not None and state.people_at == NEVER
    refresh_rollup(service)  # the tick's next refresh counts them
    assert all_time_cells(service.engine) and all(people > 0 for _, people in all_time_cells(service.engine).values())


def _rebuild_without_recount(service) -> None:
    with Session(service.engine) as session:
        mark_stale(session)
        refresh(session, theme_of=theme_map(service), now=utcnow(), min_cell=service.settings.min_cell, recount_people=False)


def test_a_recount_with_nothing_changed_writes_no_cell(history):
    service = history
    before = all_time_cells(service.engine)
    assert before
    make_recount_due(service.engine)
    writes: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:
        if ALL_TIME_WRITE.search(statement):
            writes.append(statement)

    event.listen(service.engine, "before_cursor_execute", count)
    try:
        refresh_rollup(service)
    finally:
        event.remove(service.engine, "before_cursor_execute", count)
    assert writes == []
    assert all_time_cells(service.engine) == before
    with Session(service.engine) as session:
        state = session.get(StatState, 1)
        assert state is not None and state.people_at > utcnow() - timedelta(minutes=1)  # taken, just now


def test_a_page_never_recounts_people(history):
    """A page that finds the rollup stale rebuilds the weeks it reads, not the all-time counts (the tick's)."""
    service = history
    with Session(service.engine) as session:
        mark_stale(session)
        fresh(service, session)
        assert session.exec(select(func.count()).select_from(StatCell).where(StatCell.period == ALL_TIME)).one() == 0
        state = session.get(StatState, 1)
        assert state is not None and state.people_at == NEVER
    with Session(service.engine) as session:
        assert recount_all_time(session, theme_of=theme_map(service), now=utcnow())
    assert all_time_cells(service.engine)
