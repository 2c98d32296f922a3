import asyncio
import os
import subprocess
import sys
import threading
from datetime import timedelta

from sqlalchemy import func
from sqlmodel import Session, select

from bot.jobs.dispatcher import dispatch_due
from bot.jobs.planning import run_planning
from schedules.models import Delivery, DeliveryAttempt, DeliveryStatus
from schedules.leases import Claimant, renew
from schedules.outbox import claim_due
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
