"""The rollup's refreshers never make a page wait (issue 16): a page reads the rollup as it is while another
refresher holds the lock, and the distinct-people recount holds no lock while it counts, writes only what
changed in short transactions, and stops if a full rebuild overtakes it."""

import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import event, func, insert, text, update
from sqlmodel import Session, col, select

from bot.core.clock import utcnow
from bot.core.stats import PAGE_FRESH_FOR, fresh, refresh_rollup, stats_table, theme_map
from schedules.models import AuditEvent, Delivery, Reply, StatCell, StatState
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
def paused(
    engine, pattern: re.Pattern, thread_name: str, *, nth: int = 1, before: bool = False
) -> Iterator[tuple[threading.Event, threading.Event]]:
    """Holds the thread `thread_name` just after (or before) its `nth` statement matching `pattern` (after: in the
    middle of its transaction, with whatever locks that statement took) until `go` is set."""
    reached, go = threading.Event(), threading.Event()
    seen = [0]
    when = "before_cursor_execute" if before else "after_cursor_execute"

    def hold(_conn, _cursor, statement, *_args) -> None:
        if threading.current_thread().name == thread_name and not reached.is_set() and pattern.search(statement):
            seen[0] += 1
            if seen[0] == nth:
                reached.set()
                go.wait(30)

    event.listen(engine, when, hold)
    try:
        yield reached, go
    finally:
        go.set()
        event.remove(engine, when, hold)


def before_the_write(engine):
    """Holds the thread "refresh" when it has computed its weeks and is about to take the lock to write them
    (PostgreSQL: its second advisory lock, the first being for computing; SQLite: the write lock)."""
    postgres = engine.dialect.name == "postgresql"
    pattern = re.compile(r"pg_advisory_xact_lock|UPDATE statstate SET id=statstate\.id")
    return paused(engine, pattern, "refresh", nth=2 if postgres else 1, before=True)


def one_row_write_ms(engine) -> float:
    """An audit event written with no wait for a lock (SQLite: no busy timeout; PostgreSQL: a 1 s lock timeout)."""
    began = time.perf_counter()
    with engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("PRAGMA busy_timeout = 0")
        else:
            conn.exec_driver_sql("SET lock_timeout = '1s'")
        conn.execute(insert(AuditEvent).values(at=utcnow(), actor="test", action="test", detail=""))
        conn.commit()
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("PRAGMA busy_timeout = 30000")
    return (time.perf_counter() - began) * 1000


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
    assert updates == [{"cell_id": 11, "people": 4}]
    assert deletes == [12]


def test_a_page_reads_the_rollup_while_another_connection_holds_the_refreshers_lock(history):
    service = history
    week, team_id = touch_a_week(service.engine)
    before = changed_in(service.engine, week, team_id)
    age_the_rollup(service.engine, PAGE_FRESH_FOR + timedelta(seconds=1))  # no tick lately: the page would refresh
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


def test_a_page_reads_the_rollup_as_the_tick_left_it_for_a_while(history):
    """Within PAGE_FRESH_FOR of the last refresh a page recomputes nothing; after it, the page refreshes."""
    service = history
    week, team_id = touch_a_week(service.engine)
    before = changed_in(service.engine, week, team_id)
    with Session(service.engine) as session:
        fresh(service, session)
    assert changed_in(service.engine, week, team_id) == before
    age_the_rollup(service.engine, PAGE_FRESH_FOR + timedelta(seconds=1))
    with Session(service.engine) as session:
        fresh(service, session)
    assert changed_in(service.engine, week, team_id) > before


def age_the_rollup(engine, by: timedelta) -> None:
    """As if the last refresh (the tick's) had been `by` ago."""
    with Session(engine) as session:
        state = session.get(StatState, 1)
        assert state is not None
        state.refreshed_at -= by
        session.add(state)
        session.commit()


def test_a_page_completes_while_a_recount_is_writing(history, monkeypatch):
    service = history
    monkeypatch.setattr("bot.core.stats.PAGE_FRESH_FOR", timedelta(0))  # the page refreshes (writes a week) too
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


def test_a_write_goes_through_while_a_refresh_is_computing(history):
    """The weeks are computed into a temporary table: on SQLite that takes no lock on the database, so a reply
    is never held up by it (it was, for seconds at a million replies)."""
    service = history
    touch_a_week(service.engine)
    refresher = threading.Thread(target=refresh_rollup, args=(service,), name="refresh", daemon=True)
    with paused(service.engine, re.compile(r"^INSERT INTO (rollup_next|statcell)"), "refresh") as (reached, go):
        refresher.start()
        assert reached.wait(30), "the refresh computed nothing"
        one_row_write_ms(service.engine)  # raises "database is locked" if the refresh held the write lock
        go.set()
        refresher.join(30)
    assert not refresher.is_alive()


def test_a_refresh_writes_only_the_cells_that_changed(history):
    service = history
    week, team_id = touch_a_week(service.engine)
    before = _week_cells(service.engine, week)
    refresh_rollup(service)
    after = _week_cells(service.engine, week)
    changed = {key for key in after if after[key] != before.get(key)}
    assert changed and len(changed) < len(after) / 4, "one reply changes a few cells of its week, not all"
    assert {key: after[key][0] for key in after} == {key: before[key][0] for key in after}  # the same rows, updated
    team_cell = next(cell for key, (_, cell) in before.items() if key[:4] == ("team", "base", "", team_id))
    assert changed_in(service.engine, week, team_id) == team_cell["changed"] + 1


def _week_cells(engine, week: str) -> dict[tuple, tuple[int, dict]]:
    with Session(engine) as session:
        cells = session.exec(select(StatCell).where(StatCell.period == week)).all()
        return {(c.grain, c.dim, c.key, c.team_id, c.agency): (c.id, c.model_dump(exclude={"id"})) for c in cells}


def test_a_refresh_computed_before_the_rollup_was_marked_stale_writes_nothing(history):
    """People forgotten while a refresh computed: what it computed still counts them, so it is dropped and the
    next refresh rebuilds everything."""
    service = history
    week, _ = touch_a_week(service.engine)
    before = _week_cells(service.engine, week)
    refresher = threading.Thread(target=refresh_rollup, args=(service,), name="refresh", daemon=True)
    with before_the_write(service.engine) as (reached, go):
        refresher.start()
        assert reached.wait(30)
        with Session(service.engine) as session:
            mark_stale(session)
        go.set()
        refresher.join(30)
    assert not refresher.is_alive()
    with Session(service.engine) as session:
        assert session.get(StatState, 1) is None  # still stale
    assert _week_cells(service.engine, week) == before  # nothing written
    assert refresh_rollup(service) is None  # the next refresh rebuilds everything
    assert _week_cells(service.engine, week) != before


def test_of_two_refreshes_the_newer_one_wins(history):
    """A refresh that computed from an older snapshot does not overwrite one written after it started."""
    service = history
    week, team_id = touch_a_week(service.engine)
    refresher = threading.Thread(target=refresh_rollup, args=(service,), name="refresh", daemon=True)
    with before_the_write(service.engine) as (reached, go):
        refresher.start()
        assert reached.wait(30)
        newer = touch_a_week(service.engine)  # a second reply changed, after the first refresh read
        with Session(service.engine) as session:
            refresh(session, theme_of=theme_map(service), now=utcnow(), min_cell=service.settings.min_cell, recount_people=False)
        written = changed_in(service.engine, *newer), changed_in(service.engine, week, team_id)
        go.set()
        refresher.join(30)
    assert not refresher.is_alive()
    assert (changed_in(service.engine, *newer), changed_in(service.engine, week, team_id)) == written
