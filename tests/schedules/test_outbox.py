import asyncio
import os
import subprocess
import sys
import threading
from datetime import timedelta

from sqlalchemy import event, func, update
from sqlmodel import Session, col, select

from bot.jobs.dispatcher import dispatch_due
from bot.jobs.planning import run_planning
from schedules.models import Delivery, DeliveryAttempt, DeliveryStatus
from schedules.leases import Claimant, renew
from schedules.outbox import Outcome, claim_due, record_outcomes
from tests.conftest import CLI_WITH_FIXTURE_LESSONS, utc
from tests.helpers import add_people

TUESDAY_NOON = utc(2026, 11, 24, 12)


def people(n: int) -> list[str]:
    return [f"p{i}@example.org,Person {i},social-worker,Team {i % 3},Agency,Europe/London,Tuesday,10:00" for i in range(n)]


def deliveries(engine) -> list[Delivery]:
    with Session(engine) as session:
        return list(session.exec(select(Delivery).order_by(Delivery.id)))


def test_planning_the_same_slot_twice_yields_one_delivery(service):
    add_people(service.engine, people(5))
    first = run_planning(service, TUESDAY_NOON)
    second = run_planning(service, TUESDAY_NOON)
    assert (first.inserted, len(second.planned), second.inserted) == (5, 0, 0)
    rows = deliveries(service.engine)
    assert len(rows) == 5 and {r.period for r in rows} == {"2026-W48"}
    assert all(r.lesson_version and r.status == DeliveryStatus.PENDING for r in rows)


def test_two_processes_planning_at_once_yield_one_delivery_each(service, settings):
    add_people(service.engine, people(40))
    env = os.environ | {
        "LESSONLOOP_DATABASE_URL": settings.database_url,
        "LESSONLOOP_ENV": "test",
        "LESSONLOOP_SECRET_KEY": "x" * 32,
    }
    command = [sys.executable, "-c", CLI_WITH_FIXTURE_LESSONS, "plan", "--at", TUESDAY_NOON.isoformat(), "--json"]
    procs = [subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(2)]
    outputs = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), outputs
    rows = deliveries(service.engine)
    assert len(rows) == 40
    assert len({(r.person_id, r.period) for r in rows}) == 40


def test_claims_never_overlap(service):
    add_people(service.engine, people(30))
    run_planning(service, TUESDAY_NOON)
    with Session(service.engine) as a, Session(service.engine) as b:
        first = claim_due(a, now=TUESDAY_NOON, limit=20, claimant=Claimant())
        second = claim_due(b, now=TUESDAY_NOON, limit=20, claimant=Claimant())
    assert len(first) == 20 and len(second) == 10 and not set(first) & set(second)


def test_a_live_lease_is_never_reclaimed_and_a_dead_one_comes_back_within_a_minute(service):
    add_people(service.engine, people(5))
    run_planning(service, TUESDAY_NOON)
    dead, alive, restarted = Claimant(), Claimant(), Claimant()
    with Session(service.engine) as session:
        held = claim_due(session, now=TUESDAY_NOON, limit=3, claimant=dead)
        held_alive = claim_due(session, now=TUESDAY_NOON, limit=3, claimant=alive)
        assert len(held) == 3 and len(held_alive) == 2
        # The live one renews every 20 s; the dead one stopped. 59 s on, nothing is free yet.
        for seconds in (20, 40):
            renew(session, Delivery, claimant=alive, now=TUESDAY_NOON + timedelta(seconds=seconds))
        assert claim_due(session, now=TUESDAY_NOON + timedelta(seconds=59), limit=10, claimant=restarted) == []
        renew(session, Delivery, claimant=alive, now=TUESDAY_NOON + timedelta(seconds=60))
        resumed = claim_due(session, now=TUESDAY_NOON + timedelta(seconds=61), limit=10, claimant=restarted)
    assert resumed == held  # the dead dispatcher's rows, and only those
    rows = {r.id: r for r in deliveries(service.engine)}
    assert {rows[i].claimed_by for i in held} == {restarted.id} and {rows[i].claimed_by for i in held_alive} == {alive.id}
    assert all(rows[i].attempts == 2 for i in held)


def test_message_tokens_are_random_per_delivery(service):
    add_people(service.engine, people(20))
    run_planning(service, TUESDAY_NOON)
    tokens = [r.message_token for r in deliveries(service.engine)]
    assert len(set(tokens)) == 20 and all(len(t) == 32 for t in tokens)


def test_two_dispatchers_at_once_send_each_row_once(service):
    add_people(service.engine, people(60))
    run_planning(service, TUESDAY_NOON)
    service.settings.dispatch_batch = 7  # many small claims make the race likely
    barrier = threading.Barrier(2)

    def run():
        barrier.wait()
        asyncio.run(dispatch_due(service, lambda: TUESDAY_NOON))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with Session(service.engine) as session:
        per_delivery = session.exec(select(DeliveryAttempt.delivery_id, func.count()).group_by(DeliveryAttempt.delivery_id)).all()
    assert len(per_delivery) == 60 and all(count == 1 for _, count in per_delivery)
    assert len(list(service.settings.mail_dir.glob("*.eml"))) == 60
    assert all(r.status == DeliveryStatus.SENT for r in deliveries(service.engine))


def test_a_claim_takes_rows_whose_lease_ran_out_first_and_never_more_than_asked(service):
    add_people(service.engine, people(6))
    run_planning(service, TUESDAY_NOON)
    dead, restarted = Claimant(), Claimant()
    with Session(service.engine) as session:
        held = claim_due(session, now=TUESDAY_NOON, limit=2, claimant=dead)
        # the others are due earlier still: a dead dispatcher's rows must not wait behind a long queue
        session.execute(update(Delivery).where(col(Delivery.id).not_in(held)).values(due_at=TUESDAY_NOON - timedelta(hours=1)))
        session.commit()
        later = TUESDAY_NOON + timedelta(seconds=61)  # the dead one's leases ran out
        first = claim_due(session, now=later, limit=3, claimant=restarted)
        rest = claim_due(session, now=later, limit=10, claimant=restarted)
    assert set(held) < set(first) and len(first) == 3 and len(rest) == 3 and not set(first) & set(rest)


def test_one_group_of_every_kind_of_outcome_is_written_in_one_statement_on_postgresql(service):
    """The dispatcher's senders wait for this commit: on PostgreSQL it is one round trip (and one
    statement, so atomic on the recorder's autocommit connection too)."""
    add_people(service.engine, people(6))
    run_planning(service, TUESDAY_NOON)
    me = Claimant()
    with Session(service.engine) as session:
        ids = claim_due(session, now=TUESDAY_NOON, limit=6, claimant=me)
    retry_at = TUESDAY_NOON + timedelta(minutes=5)
    outcomes = [
        Outcome(ids[0], "email", "sent"),
        Outcome(ids[1], "slack", "sent", external_ref="C1:123.4"),
        Outcome(ids[2], "email", "sent", fallback_reason="slack: account removed"),
        Outcome(ids[3], "email", "retry", "451 busy", retry_at=retry_at),
        Outcome(ids[4], "email", "failed", "550 no such user"),
        Outcome(ids[5], "slack", "fell_back", "account removed"),
    ]
    statements: list[str] = []
    listen = lambda *args: statements.append(args[2])  # noqa: E731  # (conn, cursor, statement, ...)
    event.listen(service.engine, "before_cursor_execute", listen)
    try:
        with service.engine.connect() as connection:
            record_outcomes(connection, outcomes=outcomes, now=TUESDAY_NOON, claimant=me)
    finally:
        event.remove(service.engine, "before_cursor_execute", listen)
    if service.engine.dialect.name == "postgresql":
        assert len([s for s in statements if not s.startswith(("BEGIN", "COMMIT"))]) == 1
    rows = {r.id: r for r in deliveries(service.engine)}
    assert [rows[i].status for i in ids] == ["sent", "sent", "sent", "pending", "failed", "sending"]
    assert rows[ids[0]].sent_at == TUESDAY_NOON and rows[ids[0]].claimed_by is None and rows[ids[0]].lease_until is None
    assert (rows[ids[1]].external_ref, rows[ids[1]].channel) == ("C1:123.4", "email")  # the row's own channel is kept
    assert (rows[ids[2]].channel, rows[ids[2]].fallback_reason) == ("email", "slack: account removed")
    assert (rows[ids[3]].due_at, rows[ids[3]].last_error, rows[ids[3]].claimed_by) == (retry_at, "451 busy", None)
    assert rows[ids[4]].last_error == "550 no such user"
    assert rows[ids[5]].claimed_by == me.id  # fell back: still claimed, for the email send
    with Session(service.engine) as session:
        attempts = sorted((a.delivery_id, a.channel, a.outcome, a.detail) for a in session.exec(select(DeliveryAttempt)))
    assert attempts == sorted((o.delivery_id, o.channel, o.outcome, o.detail) for o in outcomes)
    with Session(service.engine) as session:  # the retry's due time is stored as SQLAlchemy stores one: it compares
        assert ids[3] not in claim_due(session, now=retry_at - timedelta(microseconds=1), limit=6, claimant=me)
        assert ids[3] in claim_due(session, now=retry_at, limit=6, claimant=me)


def test_a_planning_pass_that_writes_many_rows_refreshes_the_outbox_statistics(service, monkeypatch):
    """Otherwise PostgreSQL plans each claim of the burst as if nothing were due, sorting every due row."""
    monkeypatch.setattr("schedules.outbox.ANALYZE_AFTER", 5)
    add_people(service.engine, people(5))
    assert run_planning(service, TUESDAY_NOON).inserted == 5
    if service.engine.dialect.name == "postgresql":  # SQLite's planner reads the index without statistics
        with service.engine.connect() as connection:
            rows = connection.exec_driver_sql("SELECT reltuples FROM pg_class WHERE relname = 'delivery'").scalar_one()
        assert rows == 5  # -1 until the table is first analysed
