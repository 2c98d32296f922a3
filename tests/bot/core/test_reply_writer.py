"""Group commit: many answers saved in one transaction through the one reply path, each caller told its own
outcome, nothing lost, a second answer to the same delivery in a batch merged into the first."""

import pytest
from sqlalchemy import event
from sqlmodel import Session, select

from bot.core.replying import Answer, ReplyError, ReplyRequest, UnknownDelivery
from bot.core.reply_writer import ReplyWriter
from bot.jobs.planning import run_planning
from schedules.models import Delivery, Reply, SpacingCard
from tests.conftest import utc
from tests.helpers import add_people

NOW = utc(2026, 11, 24, 12)


@pytest.fixture
def deliveries(service) -> list[Delivery]:
    add_people(
        service.engine, [f"p{n}@example.org,P{n},social-worker,Team,Agency,Europe/London,Tuesday,10:00" for n in range(12)]
    )
    run_planning(service, NOW)
    with Session(service.engine) as session:
        return list(session.exec(select(Delivery).order_by(Delivery.id)))


def _refuse(_session, _delivery):
    raise PermissionError("not yours")


def test_a_batch_is_one_commit_and_each_caller_gets_its_outcome(service, deliveries):
    commits = []
    event.listen(service.engine, "commit", lambda _conn: commits.append(1))
    writer = ReplyWriter(service, window=0.5)  # long enough that every answer below joins the first batch
    first, second, third = deliveries[0], deliveries[1], deliveries[2]
    futures = [writer.submit(ReplyRequest(d.id, Answer(check_answer=1))) for d in deliveries[3:]]
    merged = [
        writer.submit(ReplyRequest(first.id, Answer(check_answer=2))),
        writer.submit(ReplyRequest(first.id, Answer(practice="changed", reflection="Seen at SW1A 1AA today"))),
    ]
    bad = writer.submit(ReplyRequest(second.id, Answer(check_answer=99)))
    unknown = writer.submit(ReplyRequest(10**9, Answer(check_answer=1)))
    refused = writer.submit(ReplyRequest(third.id, Answer(check_answer=1), check=_refuse))
    writer.close()

    assert len(commits) == 1
    assert all(f.result().reply.check_answer == 1 for f in futures)
    with pytest.raises(ReplyError):
        bad.result()
    with pytest.raises(UnknownDelivery):
        unknown.result()
    with pytest.raises(PermissionError):
        refused.result()
    assert merged[1].result().removed  # the postcode was taken out before saving
    with Session(service.engine) as session:
        stored = {r.delivery_id: r for r in session.exec(select(Reply))}
        cards = list(session.exec(select(SpacingCard)))
    assert set(stored) == {d.id for d in deliveries[3:]} | {first.id}
    one = stored[first.id]
    assert (one.check_answer, one.practice) == (2, "changed") and "SW1A" not in one.reflection
    assert len(cards) == len(stored)  # one spacing card per answered delivery, the merged one reviewed once


def test_a_batch_that_fails_together_is_saved_one_at_a_time(service, deliveries):
    """A reply another process created after this batch read (its INSERT then fails on the unique delivery)
    makes the shared write fail; every answer is still saved, the raced one as an update."""
    writer = ReplyWriter(service, window=0.5)
    from bot.core import replying as module

    real = module.load_known
    raced: list[bool] = []

    def stale_view(session, batch):  # the first read of the batch misses the reply the other writer adds now
        known = real(session, batch)
        if not raced:
            raced.append(True)
            with Session(service.engine) as other:
                from bot.core.replying import save_reply

                save_reply(service, other, delivery_id=deliveries[0].id, answer=Answer(check_answer=1))
        return known

    module.load_known = stale_view
    try:
        futures = [writer.submit(ReplyRequest(d.id, Answer(practice="already"))) for d in deliveries]
        writer.close()
    finally:
        module.load_known = real
    assert raced and [f.result().reply.practice for f in futures] == ["already"] * len(deliveries)
    with Session(service.engine) as session:
        stored = {r.delivery_id: r for r in session.exec(select(Reply))}
    assert len(stored) == len(deliveries)
    assert (stored[deliveries[0].id].check_answer, stored[deliveries[0].id].practice) == (1, "already")


def test_an_answer_whose_caller_stopped_waiting_is_saved_and_the_writer_goes_on(service, deliveries):
    """A page whose client went away cancels its future: the answer is still saved, and the writer (one
    thread for every reply of the process) is not taken down by setting a cancelled future's outcome."""
    writer = ReplyWriter(service, window=0.2)
    gone = writer.submit(ReplyRequest(deliveries[0].id, Answer(practice="changed")))
    assert gone.cancel()  # before the writer took it (it waits 0.2 s for more)
    refused = writer.submit(ReplyRequest(deliveries[1].id, Answer(check_answer=99)))
    refused.cancel()
    later = writer.submit(ReplyRequest(deliveries[2].id, Answer(practice="already")))
    assert later.result(timeout=10).reply.practice == "already"
    after = writer.submit(ReplyRequest(deliveries[3].id, Answer(practice="not_yet")))
    assert after.result(timeout=10).reply.practice == "not_yet"
    writer.close()
    with Session(service.engine) as session:
        stored = {r.delivery_id: r.practice for r in session.exec(select(Reply))}
    assert stored == {deliveries[0].id: "changed", deliveries[2].id: "already", deliveries[3].id: "not_yet"}
