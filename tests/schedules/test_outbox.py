import asyncio
import os
import subprocess
import sys
import threading

from sqlalchemy import func
from sqlmodel import Session, select

from bot.jobs.dispatcher import dispatch_due
from bot.jobs.planning import run_planning
from schedules.models import Delivery, DeliveryAttempt, DeliveryStatus
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
    env = os.environ | {"LESSONLOOP_DATABASE_URL": settings.database_url, "LESSONLOOP_ENV": "test",
                        "LESSONLOOP_SECRET_KEY": "x" * 32}
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
        first = claim_due(a, now=TUESDAY_NOON, limit=20)
        second = claim_due(b, now=TUESDAY_NOON, limit=20)
    assert len(first) == 20 and len(second) == 10 and not set(first) & set(second)


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
