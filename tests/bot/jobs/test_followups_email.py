"""The follow-up ("did you try it?") end to end over email: a commitment in a reply, the follow-up at the
weekly slot four weeks on in place of that week's nudge, its one-tap answers and what got in the way
saved through the one reply path (redaction, live-concern signpost), apart from the first answer."""

import re
from datetime import timedelta
from email import message_from_bytes, policy

import httpx
from sqlmodel import Session, select

from bot.compose import build_service
from bot.jobs.dispatcher import dispatch_due
from bot.jobs.planning import run_planning
from bot.web.app import create_app
from schedules.models import Delivery, FollowUpAnswer, Reply
from tests.conftest import utc
from tests.helpers import add_people, returned_lengths

NOW = utc(2026, 11, 24, 12)  # Tuesday; Ann's slot is Tuesdays 10:00
FOLLOW_UP_SLOT = utc(2026, 12, 29, 10)  # the first Tuesday slot four weeks after her reply
CONCERN = "A girl told me today her stepdad hits her, should I report it? Family at SW1A 1AA"


def rows(service, kind: str) -> list[Delivery]:
    with Session(service.engine) as session:
        return list(session.exec(select(Delivery).where(Delivery.kind == kind).order_by(Delivery.id)))


def client_for(service) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(service)), base_url="http://testserver")


async def committed(settings, smtp_server, practice: str = "changed"):
    service = build_service(settings.model_copy(update={"smtp_url": f"smtp://127.0.0.1:{smtp_server.port}"}))
    add_people(service.engine, ["ann@example.org,Ann Smith,social-worker,North,Council,Europe/London,Tuesday,10:00"])
    run_planning(service, NOW)
    await dispatch_due(service, lambda: NOW)
    [nudge] = rows(service, "nudge")
    async with client_for(service) as client:
        token = service.signer.sign("reply", nudge.id, utc(2099, 1, 1))
        assert (await client.post(f"/r/{token}", data={"practice": practice})).status_code == 200
    with Session(service.engine) as session:  # the page stamps the real clock: as if she answered an hour after the nudge
        reply = session.exec(select(Reply)).one()
        reply.created_at = reply.updated_at = NOW + timedelta(hours=1)
        session.add(reply)
        session.commit()
    return service, nudge


async def test_the_follow_up_comes_four_weeks_on_in_place_of_that_weeks_nudge(settings, smtp_server):
    service, nudge = await committed(settings, smtp_server)
    run_planning(service, FOLLOW_UP_SLOT - timedelta(days=7))  # three weeks on: a nudge, no follow-up
    assert rows(service, "followup") == []
    run_planning(service, FOLLOW_UP_SLOT)
    [followup] = rows(service, "followup")
    assert (followup.parent_id, followup.due_at, followup.channel, followup.lesson_id) == (
        nudge.id,
        FOLLOW_UP_SLOT,
        "email",
        nudge.lesson_id,
    )
    assert "2026-W53" not in {d.period for d in rows(service, "nudge")}  # no other nudge that week
    run_planning(service, FOLLOW_UP_SLOT + timedelta(days=7))
    assert "2027-W01" in {d.period for d in rows(service, "nudge")} and len(rows(service, "followup")) == 1
    await dispatch_due(service, lambda: FOLLOW_UP_SLOT)
    message = message_from_bytes(smtp_server.messages[-1].original_content, policy=policy.default)
    lesson = service.lessons[nudge.lesson_id]
    assert message["Subject"] == f"Did you try it?: {lesson.title}"
    text = message.get_body(("plain",)).get_content()
    assert f"On 24 November you read “{lesson.title}” and planned to try: {lesson.try_this_week} Did you?" in text
    for label in ("I tried it and it helped", "I tried it and it did not fit", "Not had the chance yet", "No longer relevant"):
        assert label in text
    token = re.search(r"http://testserver/f/([\w.-]+)\?outcome=not_fit", text).group(1)
    assert service.signer.verify("followup", token, FOLLOW_UP_SLOT).subject_id == followup.id
    await service.close()


async def test_answers_are_saved_once_redacted_with_the_signpost_and_apart_from_the_first_reply(settings, smtp_server):
    service, nudge = await committed(settings, smtp_server, "not_yet")
    run_planning(service, FOLLOW_UP_SLOT)
    [followup] = rows(service, "followup")
    token = service.signer.sign("followup", followup.id, utc(2099, 1, 1))
    async with client_for(service) as client:
        shown = await client.get(f"/f/{token}?outcome=helped")
        assert shown.status_code == 200 and 'value="helped" checked' in shown.text and "Did you?" in shown.text
        assert rows(service, "followup") and _answers(service) == []  # a GET records nothing
        for _ in range(2):
            saved = await client.post(f"/f/{token}", data={"outcome": "not_fit", "barrier": CONCERN})
            assert saved.status_code == 200
        assert "call 999" in saved.text and "a postcode" in saved.text
        assert (await client.post(f"/f/{token}", data={"outcome": "maybe"})).status_code == 422
        assert (await client.post(f"/f/{token}", data={})).status_code == 422
        reply_token = service.signer.sign("reply", nudge.id, utc(2099, 1, 1))
        assert (await client.post(f"/f/{reply_token}", data={"outcome": "helped"})).status_code == 400  # purpose-bound
    [answer] = _answers(service)
    assert (answer.delivery_id, answer.outcome) == (followup.id, "not_fit")
    assert "SW1A" not in answer.barrier and "[postcode removed]" in answer.barrier
    with Session(service.engine) as session:
        assert [(r.delivery_id, r.practice) for r in session.exec(select(Reply))] == [(nudge.id, "not_yet")]
    await service.close()


async def test_no_follow_up_without_a_commitment_or_when_the_organisation_turns_them_off(settings, smtp_server):
    service, _ = await committed(settings, smtp_server, "already")
    run_planning(service, FOLLOW_UP_SLOT + timedelta(days=14))
    assert rows(service, "followup") == []
    await service.close()
    off = build_service(settings.model_copy(update={"followups": False}))
    with Session(off.engine) as session:  # make the same reply a commitment
        reply = session.exec(select(Reply)).one()
        reply.practice = "changed"
        session.add(reply)
        session.commit()
    run_planning(off, FOLLOW_UP_SLOT + timedelta(days=14))
    assert rows(off, "followup") == []
    await off.close()


def _answers(service) -> list[FollowUpAnswer]:
    with Session(service.engine) as session:
        return list(session.exec(select(FollowUpAnswer)))


async def test_a_commitment_is_not_read_by_a_tick_before_it_can_be_followed_up(settings, smtp_server, monkeypatch):
    """The follow-up's slot is never earlier than the reply plus the follow-up weeks, and it is the person's
    weekly slot: a tick reads the commitment only then (every tick re-read each one for weeks)."""
    import bot.jobs.loop_planning as loop_planning

    service, _ = await committed(settings, smtp_server)
    read = returned_lengths(monkeypatch, loop_planning, "commitments")
    replied = NOW + timedelta(hours=1)
    loop_planning.plan_loop(service, replied + timedelta(weeks=4) - timedelta(minutes=10))
    assert read == [0]
    run_planning(service, FOLLOW_UP_SLOT - timedelta(days=3))  # the weeks missed: she is looked at, read
    loop_planning.plan_loop(service, FOLLOW_UP_SLOT - timedelta(days=2))  # old enough, but her slot is not near
    assert read[2:] == [0]
    loop_planning.plan_loop(service, FOLLOW_UP_SLOT)
    assert read[2:] == [0, 1] and len(rows(service, "followup")) == 1
