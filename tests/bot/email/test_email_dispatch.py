"""Email over a real SMTP server on loopback (aiosmtpd)."""
import re
from email import message_from_bytes, policy

from sqlmodel import Session, select

from bot.jobs.dispatcher import dispatch_due
from bot.jobs.planning import run_planning
from bot.compose import build_service
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
    add_people(service.engine, [
        "gone@example.org,Gone,gp,Surgery,NHS,Europe/London,Tuesday,10:00",
        "busy@example.org,Busy,gp,Surgery,NHS,Europe/London,Tuesday,10:00",
        "fine@example.org,Fine,gp,Surgery,NHS,Europe/London,Tuesday,10:00",
    ])
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


async def test_server_down_is_transient_and_gives_up_after_max_attempts(settings):
    service = smtp_service(settings.model_copy(update={"max_attempts": 2}), free_port())
    add_people(service.engine, ["ann@example.org,Ann,gp,Surgery,NHS,Europe/London,Tuesday,10:00"])
    run_planning(service, NOW)
    assert (await dispatch_due(service, lambda: NOW)).retried == 1
    final = await dispatch_due(service, lambda: utc(2026, 11, 25, 12))
    await service.close()
    assert final.failed == 1
    (delivery,) = rows(service.engine).values()
    assert delivery.status == DeliveryStatus.FAILED and delivery.last_error.startswith("gave up after 2 attempts")


async def test_mail_folder_when_no_smtp_server(service):
    add_people(service.engine, ["ann@example.org,Ann,gp,Surgery,NHS,Europe/London,Tuesday,10:00"])
    run_planning(service, NOW)
    assert (await dispatch_due(service, lambda: NOW)).sent == 1
    (path,) = service.settings.mail_dir.glob("*.eml")
    message = message_from_bytes(path.read_bytes(), policy=policy.default)
    assert message["To"] == "Ann <ann@example.org>" and message.is_multipart()
