"""Impact at 3, 6 and 12 months (issue 17) end to end over email: planned by the minute tick at the weekly
slot once the interval has passed, in place of that week's nudge, never in a busy week, at most one a month,
never for a paused person, switched off by an empty setting; sent over real SMTP; answered on the signed
page through the one reply path, apart from the first answer."""

import re
from datetime import timedelta
from email import message_from_bytes, policy

import httpx
from sqlmodel import Session, select

from bot.compose import build_service
from bot.jobs.dispatcher import dispatch_due
from bot.jobs.planning import run_planning
from bot.web.app import create_app
from schedules.models import Delivery, FollowUpAnswer, Person, Reply
from schedules.outbox import insert_planned
from schedules.planner import PlannedDelivery
from schedules.privacy import set_status
from tests.conftest import utc
from tests.helpers import add_people, returned_lengths

NOW = utc(2026, 11, 24, 12)  # Tuesday; Ann's slot is Tuesdays 10:00 (London: UTC in winter)
SECOND = NOW + timedelta(days=7)  # her second lesson
IMPACT_SLOT = utc(2027, 3, 2, 10)  # the first Tuesday slot three months after her first answer
CONCERN = "A girl told me today her stepdad hits her, should I report it? Family at SW1A 1AA"


def rows(service, kind: str) -> list[Delivery]:
    with Session(service.engine) as session:
        return list(session.exec(select(Delivery).where(Delivery.kind == kind).order_by(Delivery.id)))


def client_for(service) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(service)), base_url="http://testserver")


async def answered(settings, smtp_server, *, lessons: int = 1, **update):
    """Ann answers her first `lessons` weekly lessons ("already": no follow-up), an hour after each went."""
    service = build_service(
        settings.model_copy(update={"smtp_url": f"smtp://127.0.0.1:{smtp_server.port}", "impact_sample": 1.0} | update)
    )
    add_people(service.engine, ["ann@example.org,Ann Smith,social-worker,North,Council,Europe/London,Tuesday,10:00"])
    for week in range(lessons):
        at = NOW + timedelta(days=7 * week)
        run_planning(service, at)
        await dispatch_due(service, lambda at=at: at)
        nudge = rows(service, "nudge")[-1]
        async with client_for(service) as client:
            token = service.signer.sign("reply", nudge.id, utc(2099, 1, 1))
            assert (await client.post(f"/r/{token}", data={"practice": "already"})).status_code == 200
        with Session(service.engine) as session:  # the page stamps the real clock
            reply = session.exec(select(Reply).where(Reply.delivery_id == nudge.id)).one()
            reply.created_at = reply.updated_at = at + timedelta(hours=1)
            session.add(reply)
            session.commit()
    return service, rows(service, "nudge")


async def test_asked_once_at_the_slot_three_months_on_in_place_of_that_weeks_nudge(settings, smtp_server):
    service, [nudge] = await answered(settings, smtp_server)
    run_planning(service, IMPACT_SLOT - timedelta(days=7))  # not yet three months: a nudge, no question
    assert rows(service, "impact") == []
    for _ in range(2):  # a second tick (or replica) writes nothing more
        run_planning(service, IMPACT_SLOT)
    [impact] = rows(service, "impact")
    assert (impact.parent_id, impact.months, impact.period, impact.due_at, impact.lesson_id, impact.role) == (
        nudge.id,
        3,
        "i2027-03",
        IMPACT_SLOT,
        nudge.lesson_id,
        "social-worker",
    )
    assert "2027-W09" not in {d.period for d in rows(service, "nudge")}  # the question took the week's place
    await dispatch_due(service, lambda: IMPACT_SLOT)
    message = message_from_bytes(smtp_server.messages[-1].original_content, policy=policy.default)
    lesson = service.lessons[nudge.lesson_id]
    assert message["Subject"] == f"Has it made a difference?: {lesson.title}"
    text = message.get_body(("plain",)).get_content()
    assert f"Has “{lesson.title}” made a difference to your practice? (You read it on 24 November 2026.)" in text
    for label in ("A lot", "A little", "Not sure", "Not much", "Not at all"):
        assert label in text
    token = re.search(r"http://testserver/f/([\w.-]+)\?outcome=not_much", text).group(1)
    assert service.signer.verify("followup", token, IMPACT_SLOT).subject_id == impact.id
    assert "http://testserver/me/" in text  # the learning record link in the footer
    await service.close()


async def test_never_in_a_week_that_holds_a_reminder_or_follow_up(settings, smtp_server):
    service, [nudge] = await answered(settings, smtp_server)
    with Session(service.engine) as session:  # a reminder already due that week (any busy kind will do)
        busy = PlannedDelivery(nudge.person_id, "r999", nudge.lesson_id, nudge.lesson_version, IMPACT_SLOT + timedelta(days=1),
                               False, "email", kind="reminder", parent_id=nudge.id)  # fmt: skip
        insert_planned(session, planned=[busy], now=IMPACT_SLOT)
        session.commit()
    run_planning(service, IMPACT_SLOT)
    assert rows(service, "impact") == []
    run_planning(service, IMPACT_SLOT + timedelta(days=7))
    [impact] = rows(service, "impact")
    assert impact.due_at == IMPACT_SLOT + timedelta(days=7)
    await service.close()


async def test_at_most_one_a_month_and_the_next_lesson_waits_for_the_next_month(settings, smtp_server):
    service, nudges = await answered(settings, smtp_server, lessons=2)
    for at in [IMPACT_SLOT + timedelta(days=7 * week) for week in range(5)] + [utc(2027, 4, 6, 9)]:
        run_planning(service, at)  # every Tuesday slot of March 2027, and the first of April (summer time)
    asked = rows(service, "impact")
    assert [(d.period, d.parent_id) for d in asked] == [("i2027-03", nudges[0].id), ("i2027-04", nudges[1].id)]
    await service.close()


async def test_none_for_paused_people_none_when_switched_off_and_none_outside_the_sample(settings, smtp_server):
    service, _ = await answered(settings, smtp_server)
    with Session(service.engine) as session:
        set_status(session, person=session.exec(select(Person)).one(), status="paused")
        session.commit()
    run_planning(service, IMPACT_SLOT)
    assert rows(service, "impact") == []
    await service.close()
    for update in ({"impact_months": ""}, {"impact_sample": 1e-9}):
        other = build_service(settings.model_copy(update={"impact_sample": 1.0} | update))
        with Session(other.engine) as session:
            set_status(session, person=session.exec(select(Person)).one(), status="active")
            session.commit()
        run_planning(other, IMPACT_SLOT)
        assert rows(other, "impact") == [], update
        await other.close()


async def test_a_question_planned_before_the_switch_went_off_is_cancelled_at_send_time(settings, smtp_server):
    service, _ = await answered(settings, smtp_server)
    run_planning(service, IMPACT_SLOT)
    await service.close()
    off = build_service(settings.model_copy(update={"impact_months": "", "smtp_url": f"smtp://127.0.0.1:{smtp_server.port}"}))
    sent_before = len(smtp_server.messages)
    await dispatch_due(off, lambda: IMPACT_SLOT)
    [impact] = rows(off, "impact")
    assert impact.status == "cancelled" and "switched off" in (impact.last_error or "")
    assert len(smtp_server.messages) == sent_before
    await off.close()


async def test_answers_go_through_the_one_reply_path_and_apart_from_the_first_reply(settings, smtp_server):
    service, [nudge] = await answered(settings, smtp_server)
    run_planning(service, IMPACT_SLOT)
    [impact] = rows(service, "impact")
    token = service.signer.sign("followup", impact.id, utc(2099, 1, 1))
    async with client_for(service) as client:
        shown = await client.get(f"/f/{token}?outcome=a_little")
        assert shown.status_code == 200 and 'value="a_little" checked' in shown.text
        assert "made a difference to your practice?" in shown.text and "Not at all" in shown.text
        assert _answers(service) == []  # a GET records nothing
        too_long = await client.post(f"/f/{token}", data={"outcome": "a_lot", "barrier": "My own words " * 40})
        assert too_long.status_code == 422 and "My own words My own words" in too_long.text  # shown again, not lost
        for _ in range(2):
            saved = await client.post(f"/f/{token}", data={"outcome": "a_lot", "barrier": CONCERN})
            assert saved.status_code == 200
        assert "call 999" in saved.text and "a postcode" in saved.text
        changed = await client.post(f"/f/{token}", data={"outcome": "not_much"})
        assert changed.status_code == 200
        assert (await client.post(f"/f/{token}", data={"outcome": "helped"})).status_code == 422  # a follow-up's answer
    [answer] = _answers(service)
    assert (answer.delivery_id, answer.outcome) == (impact.id, "not_much")
    assert "SW1A" not in (answer.barrier or "") and "[postcode removed]" in (answer.barrier or "")
    with Session(service.engine) as session:
        assert [(r.delivery_id, r.practice) for r in session.exec(select(Reply))] == [(nudge.id, "already")]
    await service.close()


def _answers(service) -> list[FollowUpAnswer]:
    with Session(service.engine) as session:
        return list(session.exec(select(FollowUpAnswer)))


async def test_the_persons_own_learning_record_and_export_show_their_impact_answer(settings, smtp_server):
    from bot.core.learning_records import learning_record, record_as_dict

    service, [nudge] = await answered(settings, smtp_server)
    run_planning(service, IMPACT_SLOT)
    await dispatch_due(service, lambda: IMPACT_SLOT)
    [impact] = rows(service, "impact")
    token = service.signer.sign("followup", impact.id, utc(2099, 1, 1))
    async with client_for(service) as client:
        assert (
            await client.post(f"/f/{token}", data={"outcome": "a_little", "barrier": "I ask who else lives there."})
        ).status_code == 200
        record = await client.get(f"/me/{service.signer.sign('record', nudge.person_id, utc(2099, 1, 1))}")
    assert "Impact after 3 months (2 March 2027): A little; I ask who else lives there." in record.text
    with Session(service.engine) as session:
        person = session.get(Person, nudge.person_id)
        exported = record_as_dict(learning_record(service, session, person, IMPACT_SLOT.date()))
    [entry] = exported["entries"]
    assert entry["impact"] == [
        {"asked_on": "2027-03-02", "months": 3, "answer": "A little", "line": "I ask who else lives there."}
    ]
    await service.close()


async def test_a_tick_away_from_her_slot_reads_none_of_her_answers(settings, smtp_server, monkeypatch):
    """Impact questions go out at the weekly slot, so a tick reads only the answers of people planning is
    about to look at (every tick read every answer of the last year)."""
    import bot.jobs.loop_planning as loop_planning

    service, _ = await answered(settings, smtp_server)
    read = returned_lengths(monkeypatch, loop_planning, "impact_people")
    run_planning(service, IMPACT_SLOT - timedelta(days=2))  # three months on: she is looked at (weeks missed)
    run_planning(service, IMPACT_SLOT - timedelta(days=1))  # her slot is tomorrow: nobody read
    assert read[1:] == [0]
    run_planning(service, IMPACT_SLOT)
    assert read[2:] == [1] and len(rows(service, "impact")) == 1
