"""Reminders end to end over email: planned by the pure planner, written once, claimed and sent by the
dispatcher to a real SMTP server on loopback, pointing at the nudge's own reply; and every way one stops."""

import re
from datetime import timedelta
from email import message_from_bytes, policy

import httpx
from sqlmodel import Session, select

from bot.compose import build_service
from bot.jobs.dispatcher import dispatch_due
from bot.jobs.planning import run_planning
from bot.web.app import create_app
from schedules.models import Delivery, Person, PersonStatus, Reply
from schedules.privacy import set_status
from tests.conftest import utc
from tests.helpers import add_people, answer_directly

NOW = utc(2026, 11, 24, 12)  # Tuesday; the nudge goes at once (slot 10:00 passed)
FRIDAY = utc(2026, 11, 27, 12)  # three working days later, in working hours


def smtp_service(settings, port: int, **extra):
    return build_service(settings.model_copy(update={"smtp_url": f"smtp://127.0.0.1:{port}", **extra}))


def deliveries(service, kind: str) -> list[Delivery]:
    with Session(service.engine) as session:
        return list(session.exec(select(Delivery).where(Delivery.kind == kind).order_by(Delivery.id)))


def body_of(envelope) -> tuple[str, str, str]:
    message = message_from_bytes(envelope.original_content, policy=policy.default)
    return message["Subject"], message.get_body(("plain",)).get_content(), message.get_body(("html",)).get_content()


async def nudge_sent(service) -> Delivery:
    add_people(service.engine, ["ann@example.org,Ann Smith,social-worker,North,Council,Europe/London,Tuesday,10:00"])
    run_planning(service, NOW)
    assert (await dispatch_due(service, lambda: NOW)).sent == 1
    return deliveries(service, "nudge")[0]


async def test_one_reminder_after_three_working_days_in_the_same_channel_pointing_at_the_same_reply(settings, smtp_server):
    service = smtp_service(settings, smtp_server.port)
    nudge = await nudge_sent(service)
    run_planning(service, utc(2026, 11, 26, 12))  # Thursday: two working days, not yet
    assert deliveries(service, "reminder") == []
    for _ in range(2):  # planning twice (two replicas) writes it once
        run_planning(service, FRIDAY)
    [reminder] = deliveries(service, "reminder")
    assert (reminder.parent_id, reminder.channel, reminder.lesson_id, reminder.status) == (
        nudge.id,
        "email",
        nudge.lesson_id,
        "pending",
    )
    stats = await dispatch_due(service, lambda: FRIDAY)
    assert stats.sent == 1 and len(smtp_server.messages) == 2
    subject, text, html = body_of(smtp_server.messages[1])
    lesson = service.lessons[nudge.lesson_id]
    assert subject == f"Reminder: {lesson.title}"
    assert "This is the only reminder for this lesson." in text and lesson.try_this_week in text
    # the reply links are the nudge's own reply page, signed for the nudge, not the reminder
    token = re.search(r"http://testserver/r/([\w.-]+)\?practice=changed", text).group(1)
    assert service.signer.verify("reply", token, FRIDAY).subject_id == nudge.id
    assert f"/r/{token}?practice=not_yet" in html
    off = re.search(r"http://testserver/reminders-off/([\w.-]+)", text).group(1)
    assert service.signer.verify("reminders", off, FRIDAY).subject_id == nudge.person_id
    # answering through it records the nudge's reply
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(service)), base_url="http://testserver") as client:
        assert (await client.post(f"/r/{token}", data={"practice": "changed"})).status_code == 200
    with Session(service.engine) as session:
        assert [(r.delivery_id, r.practice) for r in session.exec(select(Reply))] == [(nudge.id, "changed")]
    # never a second one: later ticks plan nothing more for this nudge
    run_planning(service, FRIDAY + timedelta(days=7))
    assert len(deliveries(service, "reminder")) == 1
    await service.close()


async def test_an_answered_nudge_gets_no_reminder_and_a_reply_cancels_a_pending_one(settings, smtp_server):
    service = smtp_service(settings, smtp_server.port)
    nudge = await nudge_sent(service)
    run_planning(service, FRIDAY)
    [reminder] = deliveries(service, "reminder")
    token = service.signer.sign("reply", nudge.id, utc(2099, 1, 1))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(service)), base_url="http://testserver") as client:
        assert (await client.post(f"/r/{token}", data={"practice": "already"})).status_code == 200
    [reminder] = deliveries(service, "reminder")
    assert (reminder.status, reminder.last_error) == ("cancelled", "the nudge was answered")
    assert (await dispatch_due(service, lambda: FRIDAY)).sent == 0 and len(smtp_server.messages) == 1
    await service.close()


async def test_the_dispatcher_cancels_a_reminder_whose_nudge_was_answered_meanwhile(settings, smtp_server):
    service = smtp_service(settings, smtp_server.port)
    nudge = await nudge_sent(service)
    run_planning(service, FRIDAY)
    answer_directly(
        service.engine, nudge, practice="changed", at=FRIDAY
    )  # an answer that did not come through save_reply (e.g. another replica's race)
    stats = await dispatch_due(service, lambda: FRIDAY)
    assert (stats.sent, stats.cancelled) == (0, 1) and len(smtp_server.messages) == 1
    await service.close()


async def test_the_signed_email_link_switches_reminders_off_and_cancels_the_pending_one(settings, smtp_server):
    service = smtp_service(settings, smtp_server.port)
    nudge = await nudge_sent(service)
    run_planning(service, FRIDAY)
    token = service.signer.sign("reminders", nudge.person_id, utc(2099, 1, 1))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(service)), base_url="http://testserver") as client:
        shown = await client.get(f"/reminders-off/{token}")
        assert shown.status_code == 200 and "Stop reminders" in shown.text
        assert deliveries(service, "reminder")[0].status == "pending"  # a GET (a mail scanner) changes nothing
        assert (await client.post(f"/reminders-off/{token}")).status_code == 200
        forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
        assert (await client.post(f"/reminders-off/{forged}")).status_code == 400
        # the reply link's token does not work as a reminders link (purpose-bound)
        wrong = service.signer.sign("reply", nudge.person_id, utc(2099, 1, 1))
        assert (await client.post(f"/reminders-off/{wrong}")).status_code == 400
    with Session(service.engine) as session:
        assert session.get(Person, nudge.person_id).reminders is False
    assert deliveries(service, "reminder")[0].status == "cancelled"
    assert (await dispatch_due(service, lambda: FRIDAY)).sent == 0
    await service.close()


async def test_the_organisation_switch_the_roster_column_and_a_pause_each_stop_reminders(settings, smtp_server):
    off = smtp_service(settings, smtp_server.port, reminders=False)
    await nudge_sent(off)
    run_planning(off, FRIDAY)
    assert deliveries(off, "reminder") == []
    await off.close()
    # the roster column: "reminders" no
    service = smtp_service(settings, smtp_server.port)
    add_people_with_switch(service, "no")
    run_planning(service, FRIDAY + timedelta(days=3))  # Monday, before the next slot
    assert deliveries(service, "reminder") == []
    add_people_with_switch(service, "yes")
    run_planning(service, FRIDAY + timedelta(days=3))  # Monday, before the next slot
    [reminder] = deliveries(service, "reminder")
    with Session(service.engine) as session:  # a pause cancels the pending reminder (the one cancel path)
        set_status(session, person=session.get(Person, reminder.person_id), status=PersonStatus.PAUSED)
        session.commit()
    assert deliveries(service, "reminder")[0].status == "cancelled"
    await service.close()


def add_people_with_switch(service, switch: str) -> None:
    from tests.helpers import upsert_roster
    from schedules.roster import parse_roster
    from lesson_bank.taxonomy import load_taxonomy

    text = f"email,name,role,team,agency,reminders\nann@example.org,Ann Smith,social-worker,North,Council,{switch}\n"
    rows, problems = parse_roster(text, "roster.csv", set(load_taxonomy().roles))
    assert not problems
    with Session(service.engine) as session:
        upsert_roster(session, rows, now=NOW)
        session.commit()
    if not deliveries(service, "nudge"):
        run_planning(service, NOW)
        with Session(service.engine) as session:  # mark it sent, as a dispatcher would have
            for d in session.exec(select(Delivery)):
                d.status, d.sent_at = "sent", NOW
                session.add(d)
            session.commit()


def test_a_bad_reminders_value_in_the_roster_names_the_line_and_column():
    from schedules.roster import parse_roster

    _, problems = parse_roster(
        "email,name,role,team,agency,reminders\nann@example.org,Ann,social-worker,N,C,maybe\n", "roster.csv", {"social-worker"}
    )
    assert [str(p) for p in problems] == ["roster.csv:2: error: column 'reminders': 'maybe' must be yes or no"]
