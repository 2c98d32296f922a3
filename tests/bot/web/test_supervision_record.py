"""Supervision, with consent (issue 17 part 5): from their own record page a person shares a stretch of it
with their supervisor (a link they send, or one email to the supervisor in the roster) and stops sharing;
the supervisor sees that stretch of that person only; every share, view and stop is in the audit log."""

import asyncio
import html
import json
import logging
from email import message_from_bytes, policy
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select
from typer.testing import CliRunner

from bot.cli.main import app as cli
from bot.compose import build_service
from bot.core.clock import utcnow
from bot.core.signing import Signer
from bot.web import supervision_pages
from bot.web.app import create_app
from schedules.models import AuditEvent
from schedules.supervision import SupervisionShare
from tests.bot.web.supervision_helpers import BARRIER, BENS, MONTH, OLD, RECENT, SHARED_LINK, shared_history

WEEK = {"period": "2w", "expiry": "7"}


@pytest.fixture
def client(service):
    return TestClient(create_app(service), follow_redirects=False)


def share(client, record: str, **form) -> str:
    """Make a share from the record page and return the supervisor's path it shows."""
    answer = client.post(f"{record}/share", data=form)
    assert answer.status_code == 303, answer.text
    page = client.get(answer.headers["location"])
    assert page.status_code == 200
    paths = SHARED_LINK.findall(page.text)
    assert paths, page.text
    return paths[0]  # the newest share comes first


def audit_actions(service) -> list[tuple[str, str, str]]:
    with Session(service.engine) as session:
        return [(e.actor, e.action, e.detail) for e in session.exec(select(AuditEvent).order_by(AuditEvent.id))]


def test_a_link_shows_only_the_period_and_person_shared_until_it_is_stopped(service, client):
    history = shared_history(service)
    record = history.record_path(service, history.ann)
    page = client.get(record)
    assert "Share with my supervisor" in page.text and "Nothing is shared." in page.text
    assert "Email it to my supervisor (sam.super@example.org)" in page.text

    fortnight = share(client, record, **WEEK, how="link")
    seen = client.get(fortnight)
    assert seen.status_code == 200 and seen.headers["cache-control"] == "private, no-store"
    text = html.unescape(seen.text)
    recent_title, month_title, old_title = history.lessons
    for shown in ("Ann Smith", recent_title, RECENT, "Yes, I changed something", "I tried it and it helped", BARRIER):
        assert shown in text, shown
    for hidden in (MONTH, OLD, month_title, old_title, BENS, "Ben Jones", "knowledge check", "social-worker", "North"):
        assert hidden not in text, hidden

    custom = (utcnow().date() - timedelta(days=40)).isoformat(), utcnow().date().isoformat()
    month = share(client, record, period="custom", start=custom[0], end=custom[1], expiry="30", how="link")
    text = html.unescape(client.get(month).text)
    assert RECENT in text and MONTH in text and OLD not in text and BENS not in text

    listed = client.get(record).text
    assert listed.count("Stop sharing") == 2
    with Session(service.engine) as session:
        first = session.exec(select(SupervisionShare).order_by(SupervisionShare.id)).first()
        assert first is not None and (first.delivered, first.sent_to, first.revoked_at) == ("link", None, None)
        first_id = first.id
    stopped = client.post(f"{record}/shares/{first_id}/revoke")
    assert stopped.status_code == 303
    assert "Stopped: that link no longer opens anything" in client.get(stopped.headers["location"]).text
    gone = client.get(fortnight)
    assert gone.status_code == 400 and "This link does not work" in gone.text and "stopped sharing" in gone.text
    assert client.get(month).status_code == 200  # the other share is untouched
    assert client.get(record).text.count("Stop sharing") == 1

    actions = audit_actions(service)
    assert [a for _, a, _ in actions] == [
        "supervision.shared",
        "supervision.viewed",
        "supervision.shared",
        "supervision.viewed",
        "supervision.revoked",
        "supervision.viewed",
    ]
    assert {actor for actor, action, _ in actions if action != "supervision.viewed"} == {"ann@example.org"}
    assert all(f"share {first_id} of ann@example.org" in d for _, a, d in actions[:2] + actions[4:5])


def test_the_link_works_until_it_expires(service, client, monkeypatch):
    history = shared_history(service)
    path = share(client, history.record_path(service, history.ann), **WEEK, how="link")
    start = utcnow()
    monkeypatch.setattr(supervision_pages, "utcnow", lambda: start + timedelta(days=6, hours=23))
    assert client.get(path).status_code == 200
    monkeypatch.setattr(supervision_pages, "utcnow", lambda: start + timedelta(days=7, minutes=1))
    late = client.get(path)
    assert late.status_code == 400 and "This link does not work" in late.text and "expired" in late.text


def test_forged_altered_and_borrowed_tokens_open_nothing(service, client):
    history = shared_history(service)
    record = history.record_path(service, history.ann)
    path = share(client, record, **WEEK, how="link")
    with Session(service.engine) as session:
        only = session.exec(select(SupervisionShare)).one()
    token = path.removeprefix("/shared/")
    later = only.expires_at + timedelta(days=365)
    refused = {
        "altered": token[:-2] + ("AA" if not token.endswith("AA") else "BB"),
        "another key": Signer(b"not-the-key").sign("supervision", only.id, only.expires_at),
        "another purpose": service.signer.sign("record", only.id, only.expires_at),
        "the record token": record.removeprefix("/me/"),
        "a longer life than shared": service.signer.sign("supervision", only.id, later),
        "another share id": service.signer.sign("supervision", only.id + 1, only.expires_at),
        "garbage": "not-a-token",
    }
    for why, bad in refused.items():
        answer = client.get(f"/shared/{bad}")
        assert answer.status_code == 400 and "This link does not work" in answer.text, why
        assert "Ann Smith" not in answer.text and RECENT not in answer.text, why
    assert client.get(path).status_code == 200  # the real one still works
    # a record link cannot make, or stop, anyone else's share
    ben = history.record_path(service, history.ben)
    assert client.post(f"{ben}/shares/{only.id}/revoke").status_code == 303
    assert client.get(path).status_code == 200
    assert [a for _, a, _ in audit_actions(service)].count("supervision.revoked") == 0
    assert client.post(f"/me/{token}/share", data=WEEK | {"how": "link"}).status_code == 400  # a share token is no record token


def test_a_cross_site_form_cannot_stop_a_share(service, client):
    history = shared_history(service)
    record = history.record_path(service, history.ann)
    path = share(client, record, **WEEK, how="link")
    with Session(service.engine) as session:
        share_id = session.exec(select(SupervisionShare)).one().id
    forged = client.post(f"{record}/shares/{share_id}/revoke", headers={"Origin": "https://evil.example"})
    assert forged.status_code == 403
    cross = client.post(f"{record}/share", data=WEEK | {"how": "link"}, headers={"Sec-Fetch-Site": "cross-site"})
    assert cross.status_code == 403
    assert client.get(path).status_code == 200
    with Session(service.engine) as session:
        assert len(session.exec(select(SupervisionShare)).all()) == 1


def test_bad_choices_come_back_with_what_was_chosen(service, client):
    history = shared_history(service)
    record = history.record_path(service, history.ann)
    today = utcnow().date()
    form = {"period": "custom", "start": today.isoformat(), "end": (today - timedelta(days=3)).isoformat(), "expiry": "30"}
    answer = client.post(f"{record}/share", data=form | {"how": "link"})
    assert answer.status_code == 422 and "The &#39;from&#39; date is after the &#39;to&#39; date." in answer.text
    assert f'value="{form["start"]}"' in answer.text and f'value="{form["end"]}"' in answer.text
    assert '<option value="30" selected>' in answer.text and 'value="custom" checked' in answer.text
    assert client.post(f"{record}/share", data=WEEK | {"expiry": "365", "how": "link"}).status_code == 422
    future = {"period": "custom", "start": today.isoformat(), "end": (today + timedelta(days=1)).isoformat(), "expiry": "7"}
    assert "in the future" in client.post(f"{record}/share", data=future | {"how": "link"}).text
    ben = client.post(f"{history.record_path(service, history.ben)}/share", data=WEEK | {"how": "email"})
    assert ben.status_code == 422 and "No supervisor is named for you in the roster" in ben.text
    with Session(service.engine) as session:
        assert session.exec(select(SupervisionShare)).all() == []
    assert audit_actions(service) == []


def test_one_click_emails_the_roster_supervisor_once_and_says_nothing_of_the_relay(settings, smtp_server, caplog):
    service = build_service(settings.model_copy(update={"smtp_url": f"smtp://127.0.0.1:{smtp_server.port}"}))
    client = TestClient(create_app(service), follow_redirects=False)
    history = shared_history(service)
    record = history.record_path(service, history.ann)
    sent = client.post(f"{record}/share", data=WEEK | {"how": "email"})
    assert sent.status_code == 303 and "?sent=" in sent.headers["location"]
    [mail] = smtp_server.messages
    assert mail.rcpt_tos == ["sam.super@example.org"]
    message = message_from_bytes(mail.original_content, policy=policy.default)
    assert message["Subject"] == "Ann Smith has shared their learning record with you"
    [link] = SHARED_LINK.findall(message.get_body(("plain",)).get_content())
    assert RECENT in html.unescape(client.get(link).text)
    page = client.get(sent.headers["location"]).text
    assert "We are emailing the link to your supervisor (sam.super@example.org)" in page
    assert "emailed to sam.super@example.org" in page

    # a relay that refuses the address: the person's answer is the same, and the log names nobody
    smtp_server.reject["sam.super@example.org"] = "550 5.1.1 no such user"
    caplog.set_level(logging.DEBUG)
    refused = client.post(f"{record}/share", data=WEEK | {"how": "email"})
    assert refused.status_code == sent.status_code and refused.text == sent.text
    assert refused.headers["location"].split("=")[0] == sent.headers["location"].split("=")[0]
    assert len(smtp_server.messages) == 1
    ours = " ".join(r.getMessage() for r in caplog.records if r.name.startswith("bot"))  # not the test relay's own log
    assert "sam.super" not in ours and "not emailed" in ours
    client.post(f"{record}/share", data=WEEK | {"how": "email"})
    limited = client.post(f"{record}/share", data=WEEK | {"how": "email"})  # the fourth in a day
    assert limited.status_code == 422 and "make a link instead" in limited.text
    asyncio.run(service.close())


def test_forgetting_a_person_removes_their_shares_and_their_supervisor(service, client, settings, monkeypatch):
    history = shared_history(service)
    path = share(client, history.record_path(service, history.ann), **WEEK, how="link")
    client.get(path)
    monkeypatch.setenv("LESSONLOOP_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("LESSONLOOP_ENV", "test")
    monkeypatch.setenv("LESSONLOOP_MAIL_DIR", str(settings.mail_dir))
    runner = CliRunner()
    exported = json.loads(runner.invoke(cli, ["people", "export", "ann@example.org"]).stdout)
    assert exported["person"]["supervisor_email"] == "sam.super@example.org"
    assert [s["delivered"] for s in exported["supervision_shares"]] == ["link"]
    assert {e["action"] for e in exported["audit_events"]} >= {"supervision.shared"}
    result = runner.invoke(cli, ["people", "forget", "ann@example.org", "--yes", "--by", "admin@example.org"])
    assert result.exit_code == 0, result.output
    with Session(service.engine) as session:
        assert session.exec(select(SupervisionShare)).all() == []
        details = " ".join(f"{e.actor} {e.detail}" for e in session.exec(select(AuditEvent)))
    assert "ann@example.org" not in details and "sam.super" not in details
    gone = client.get(path)
    assert gone.status_code == 400 and "This link does not work" in gone.text
