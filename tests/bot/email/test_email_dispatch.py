"""Email over a real SMTP server on loopback (aiosmtpd)."""

import re
from email import message_from_bytes, policy

from sqlmodel import Session, select

from bot.jobs.dispatcher import dispatch_due
from bot.jobs.planning import run_planning
from bot.compose import build_service
from bot.core.settings import SmtpTarget
from bot.core.transport import Job
from bot.email.channel import SmtpChannel
from bot.email.mime import smtp_data
from schedules.delivery_health import relay_health
from schedules.models import Delivery, DeliveryAttempt, DeliveryStatus
from tests.conftest import free_port, utc
from tests.helpers import add_people

NOW = utc(2026, 11, 24, 12)
LATER = utc(2026, 11, 24, 13)


def smtp_service(settings, port: int):
    return build_service(settings.model_copy(update={"smtp_url": f"smtp://127.0.0.1:{port}"}))


def rows(engine):
    with Session(engine) as session:
        return {d.person_id: d for d in session.exec(select(Delivery))}


async def test_message_reaches_a_real_smtp_server_with_headers_parts_and_links(settings, smtp_server):
    service = smtp_service(settings, smtp_server.port)
    add_people(service.engine, ["ann@example.org,Ann Smith,health-visitor,HV,NHS,Europe/London,Tuesday,10:00"])
    run_planning(service, NOW)
    stats = await dispatch_due(service, lambda: NOW)
    await service.close()
    assert stats.sent == 1 and len(smtp_server.messages) == 1
    envelope = smtp_server.messages[0]
    assert envelope.rcpt_tos == ["ann@example.org"] and envelope.mail_from == "lessonloop@localhost"
    message = message_from_bytes(envelope.original_content, policy=policy.default)
    assert message["To"] == "Ann Smith <ann@example.org>"
    assert message["Subject"].startswith("1-minute lesson: ")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert re.fullmatch(r"<http://testserver/u/[\w.-]+>", message["List-Unsubscribe"])
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "DID THIS CHANGE YOUR PRACTICE?" in text and "Did this change your practice?" in html
    for choice in ("changed", "already", "not_yet", "not_relevant"):
        assert f"?practice={choice}" in text and f"?practice={choice}" in html
    assert re.search(r"http://testserver/r/[\w.-]+\?check=1", text)
    assert "never shown to your managers with your name" in text  # the first nudge says so


async def test_permanent_refusal_fails_with_reason_and_transient_is_retried_once(settings, smtp_server):
    service = smtp_service(settings, smtp_server.port)
    add_people(
        service.engine,
        [
            "gone@example.org,Gone,gp,Surgery,NHS,Europe/London,Tuesday,10:00",
            "busy@example.org,Busy,gp,Surgery,NHS,Europe/London,Tuesday,10:00",
            "fine@example.org,Fine,gp,Surgery,NHS,Europe/London,Tuesday,10:00",
        ],
    )
    smtp_server.reject = {"gone@example.org": "550 5.1.1 No such user", "busy@example.org": "451 4.3.0 Try again later"}
    run_planning(service, NOW)
    first = await dispatch_due(service, lambda: NOW)
    assert (first.sent, first.failed, first.retried) == (1, 1, 1)
    by_email = {d.person_id: d for d in rows(service.engine).values()}
    failed = [d for d in by_email.values() if d.status == DeliveryStatus.FAILED][0]
    waiting = [d for d in by_email.values() if d.status == DeliveryStatus.PENDING][0]
    assert "550" in failed.last_error and "No such user" in failed.last_error
    assert "451" in waiting.last_error and waiting.due_at > NOW and waiting.attempts == 1
    smtp_server.reject = {}
    assert (await dispatch_due(service, lambda: NOW)).sent == 0  # not due again yet
    second = await dispatch_due(service, lambda: LATER)
    await service.close()
    assert second.sent == 1
    delivered = [e.rcpt_tos[0] for e in smtp_server.messages]
    assert sorted(delivered) == ["busy@example.org", "fine@example.org"]  # nobody twice, nobody lost
    with Session(service.engine) as session:
        outcomes = sorted(a.outcome for a in session.exec(select(DeliveryAttempt)))
    assert outcomes == ["failed", "retry", "sent", "sent"]


async def test_relay_down_is_retried_for_24_hours_then_given_up(settings):
    """An outage of half an hour used to fail every nudge due in it for good (6 attempts)."""
    service = smtp_service(settings, free_port())  # nothing listens there
    add_people(service.engine, ["ann@example.org,Ann,gp,Surgery,NHS,Europe/London,Tuesday,10:00"])
    run_planning(service, NOW)
    for moment in (NOW, utc(2026, 11, 24, 12, 45), utc(2026, 11, 25, 11)):  # first due now, Tuesday 12:00
        assert (await dispatch_due(service, lambda at=moment: at)).retried == 1, moment
    (delivery,) = rows(service.engine).values()
    assert delivery.status == DeliveryStatus.PENDING and delivery.due_at <= utc(2026, 11, 25, 12)
    with Session(service.engine) as session:
        health = relay_health(session, now=utc(2026, 11, 25, 11, 30))
    assert (health.state(utc(2026, 11, 25, 11, 30)), health.consecutive_failures, health.last_success) == ("failing", 3, None)
    assert health.waiting == 1 and health.oldest_due == NOW
    final = await dispatch_due(service, lambda: utc(2026, 11, 25, 12, 30))
    await service.close()
    assert final.failed == 1
    (delivery,) = rows(service.engine).values()
    assert delivery.status == DeliveryStatus.FAILED and delivery.last_error.startswith("gave up after 4 attempts over 24 hours")


async def test_a_nudge_that_cannot_go_out_before_its_week_ends_is_marked_expired(settings):
    service = smtp_service(settings.model_copy(update={"retry_hours": 72}), free_port())
    add_people(service.engine, ["ann@example.org,Ann,gp,Surgery,NHS,Europe/London,Friday,10:00"])
    run_planning(service, utc(2026, 11, 27, 10))  # due Friday; the relay is down all weekend
    assert (await dispatch_due(service, lambda: utc(2026, 11, 29, 23, 50))).retried == 1
    last = await dispatch_due(service, lambda: utc(2026, 11, 29, 23, 59, 30))  # the next try would be next week
    await service.close()
    assert last.expired == 1
    (delivery,) = rows(service.engine).values()
    assert delivery.status == DeliveryStatus.EXPIRED and "week ended" in delivery.last_error


async def test_a_nudge_found_after_its_week_ended_expires_without_a_send(settings, smtp_server):
    service = smtp_service(settings, smtp_server.port)
    add_people(service.engine, ["ann@example.org,Ann,gp,Surgery,NHS,Europe/London,Tuesday,10:00"])
    run_planning(service, NOW)
    stats = await dispatch_due(service, lambda: utc(2026, 12, 1, 9))  # the service was down until next week
    await service.close()
    assert (stats.expired, stats.sent, smtp_server.messages) == (1, 0, [])


async def test_message_id_is_random_per_delivery_and_kept_across_attempts(settings, smtp_server):
    """Message-IDs were delivery-N@host: after a database reset the same id went out with other content."""
    calls = []
    original = smtp_server.handle_DATA

    async def busy_once(server, session, envelope):
        calls.append(message_from_bytes(envelope.original_content, policy=policy.default)["Message-ID"])
        return "451 4.3.0 busy" if len(calls) == 1 else await original(server, session, envelope)

    smtp_server.handle_DATA = busy_once
    service = smtp_service(settings, smtp_server.port)
    add_people(service.engine, ["ann@example.org,Ann,gp,Surgery,NHS,Europe/London,Tuesday,10:00"])
    run_planning(service, NOW)
    assert (await dispatch_due(service, lambda: NOW)).retried == 1
    assert (await dispatch_due(service, lambda: LATER)).sent == 1
    await service.close()
    (delivery,) = rows(service.engine).values()
    assert calls == [f"<{delivery.message_token}@localhost>"] * 2  # the sender's domain; the same on the retry
    assert re.fullmatch(r"[0-9a-f]{32}", delivery.message_token) and f"delivery-{delivery.id}@" not in calls[0]


async def test_mail_folder_when_no_smtp_server(service):
    add_people(service.engine, ["ann@example.org,Ann,gp,Surgery,NHS,Europe/London,Tuesday,10:00"])
    run_planning(service, NOW)
    assert (await dispatch_due(service, lambda: NOW)).sent == 1
    (path,) = service.settings.mail_dir.glob("*.eml")
    message = message_from_bytes(path.read_bytes(), policy=policy.default)
    assert message["To"] == "Ann <ann@example.org>" and message.is_multipart()


def test_smtp_data_is_dot_stuffed_once_and_terminated():
    assert smtp_data(b".a\r\nb\r\n.\r\n..c\r\n") == b"..a\r\nb\r\n..\r\n...c\r\n.\r\n"
    assert smtp_data(b"no newline") == b"no newline\r\n.\r\n"


async def test_prepared_bytes_with_leading_dots_arrive_intact(smtp_server):
    """The channel writes the prepared DATA as it is (no second normalisation), and the server un-stuffs it."""
    channel = SmtpChannel(
        target=SmtpTarget(host="127.0.0.1", port=smtp_server.port), sender="LL <ll@example.org>", domain="example.org"
    )
    message = b"Subject: dots\r\n\r\n.leading dot\r\n..two\r\nlast\r\n"
    job = Job(1, 1, "ann@example.org", "Ann", nudge=None)  # type: ignore[arg-type]  # the bytes are given
    assert await channel.deliver([(job, smtp_data(message))]) == {1: None}
    await channel.close()
    assert smtp_server.messages[0].original_content == message


def test_an_encoded_stencil_filled_in_decodes_to_the_filled_text():
    import quopri

    from bot.email.mime import qp_filled

    name, link = "\x00name\x00", "\x00reply\x00"
    stencil = f"Hello {name},\n.a line with a dot \nSee {link}?practice=changed and {link}?check=1 " + "long " * 40 + f"\n{name}"
    values = {name: "Zoë  O'Brien ", link: "http://example.org/r/" + "Ab-_9" * 30}
    encoded = qp_filled(stencil, values)
    filled = stencil.replace(name, values[name]).replace(link, values[link])
    assert quopri.decodestring(encoded.replace(b"\r\n", b"\n")).decode("utf-8") == filled
    assert max(len(line) for line in encoded.split(b"\r\n")) <= 76
