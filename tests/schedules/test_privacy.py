"""What people write stays safe; people's data stays under their control."""

import asyncio
import json
import os
import logging
import re
from datetime import timedelta
from email import message_from_bytes, policy

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import String, Text, select as sa_select
from sqlmodel import Session, SQLModel, select
from typer.testing import CliRunner

from bot.web.app import create_app
from bot.cli.main import app
from bot.jobs.dispatcher import dispatch_due
from bot.jobs.planning import run_planning
from bot.jobs.retention import run_retention
from bot.core.clock import utcnow
from schedules.concern import check_concern
from schedules.models import AuditEvent, Delivery, FollowUpAnswer, Person, Reply, ReplyTally
from schedules.redaction import nhs_check_digit_ok, redact
from tests.helpers import add_people

runner = CliRunner()


def test_nhs_numbers_need_a_valid_check_digit():
    assert nhs_check_digit_ok("9434765919") and not nhs_check_digit_ok("9434765918")
    found = redact("ids 943 476 5919 and 943-476-5919 but not 9434765918 or 07700900123").findings
    assert [f.kind for f in found] == ["nhs_number", "nhs_number", "phone"]


@pytest.mark.parametrize(
    "text, kind",
    [
        ("lives at LS6 2AB now", "postcode"),
        ("postcode sw1a1aa", "postcode"),
        ("DOB 12/03/2019", "date"),
        ("born 3rd May 2021", "date"),
        ("ring 07700 900123", "phone"),
        ("on +44 20 7946 0018", "phone"),
        ("mail mum.smith@example.org", "email"),
        ("then Tyler said no", "name"),
        ("Ms Okafor came", "name"),
    ],
)
def test_each_detector(text, kind):
    assert kind in {f.kind for f in redact(text).findings}


@pytest.mark.parametrize(
    "text",
    [
        "Year 10 pupils",
        "the A1 road",
        "a B12 injection",
        "we met on 3 May",
        "since 2019",
        "Will you ask?",
        "in May",
        "my Mum and Nan",
        "case ref 2024-001234",
    ],
)
def test_near_misses_are_left_alone(text):
    assert redact(text).findings == ()


@pytest.mark.parametrize(
    "text",
    [
        "I'm worried about a child in my class right now",
        "A girl told me her dad hurts her",
        "the baby was not safe this morning",
        "Should I report this?",
        "he is going home to them tonight",
    ],
)
def test_live_concerns_show_the_signpost(text):
    assert check_concern(text).live


@pytest.mark.parametrize(
    "text",
    [
        "I used to worry I'd miss things",
        "worried about my workload",
        "in the lesson the child was not safe",
        "good discussion with the team",
    ],
)
def test_reflections_that_are_not_live_concerns(text):
    assert not check_concern(text).live


@pytest.fixture
def sent(service):
    add_people(service.engine, ["zara.quinn@example.org,Zara Quinn,teacher,Oak School,Oak Trust,Europe/London,Tuesday,10:00"])
    now = utcnow()
    run_planning(service, now, immediate=True)
    asyncio.run(dispatch_due(service, lambda: now))
    (mail,) = service.settings.mail_dir.glob("*.eml")
    text = message_from_bytes(mail.read_bytes(), policy=policy.default).get_body(("plain",)).get_content()
    return TestClient(create_app(service)), re.search(r"http://testserver(/r/[\w.-]+)\?", text).group(1)


def test_reflection_is_stored_redacted_and_the_writer_is_told(service, sent, caplog):
    client, link = sent
    caplog.set_level(logging.DEBUG)
    secret = "Tyler at LS6 2AB, NHS 943 476 5919, told me today his stepdad hits him"
    page = client.post(link, data={"practice": "not_yet", "reflection": secret})
    assert "We took out an NHS number, a postcode, a name" in page.text
    assert "If you are worried about a child now" in page.text and "designated safeguarding lead" in page.text
    with Session(service.engine) as session:
        stored = session.exec(select(Reply)).one().reflection
    assert stored == "[name removed] at [postcode removed], NHS [NHS number removed], told me today his stepdad hits him"
    for detail in ("Tyler", "LS6 2AB", "943 476 5919"):
        assert detail not in caplog.text


def test_forget_leaves_no_trace_in_any_table_or_the_outbox(service, sent, settings, monkeypatch, caplog):
    client, link = sent
    client.post(link, data={"practice": "changed", "reflection": "I asked to see the child alone."})
    monkeypatch.setenv("LESSONLOOP_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("LESSONLOOP_ENV", "test")
    monkeypatch.setenv("LESSONLOOP_MAIL_DIR", str(settings.mail_dir))
    exported = json.loads(runner.invoke(app, ["people", "export", "zara.quinn@example.org"]).stdout)
    assert exported["person"]["name"] == "Zara Quinn" and exported["replies"][0]["practice"] == "changed"
    result = runner.invoke(app, ["people", "forget", "zara.quinn@example.org", "--yes", "--by", "admin@example.org"])
    assert result.exit_code == 0, result.output
    needles = ("zara", "quinn")
    with Session(service.engine) as session:
        for table in SQLModel.metadata.sorted_tables:
            columns = [c for c in table.columns if isinstance(c.type, (String, Text))]
            for row in session.execute(sa_select(*columns)) if columns else []:
                for value in row:
                    assert not any(n in str(value).lower() for n in needles), (table.name, value)
        reply = session.exec(select(Reply)).one()
        delivery = session.exec(select(Delivery)).one()
        assert (reply.person_id, reply.reflection, reply.practice) == (None, None, "changed")  # the count survives
        assert (delivery.person_id, delivery.role, delivery.agency) == (None, "teacher", "Oak Trust")
        actions = [e.action for e in session.exec(select(AuditEvent))]
    assert list(settings.mail_dir.glob("*")) == []
    assert "people.export" in actions and "people.forget" in actions
    assert not any(n in caplog.text.lower() for n in needles)


def test_pause_and_leave_stop_nudges_at_once(service, settings, monkeypatch):
    add_people(
        service.engine,
        [
            "ann@example.org,Ann,gp,Surgery,NHS,Europe/London,Tuesday,10:00",
            "bob@example.org,Bob,gp,Surgery,NHS,Europe/London,Tuesday,10:00",
        ],
    )
    run_planning(service, utcnow(), immediate=True)  # planned, not yet sent
    monkeypatch.setenv("LESSONLOOP_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("LESSONLOOP_ENV", "test")
    assert runner.invoke(app, ["people", "pause", "ann@example.org", "--weeks", "2"]).exit_code == 0
    assert runner.invoke(app, ["people", "leave", "bob@example.org"]).exit_code == 0
    stats = asyncio.run(dispatch_due(service, utcnow))
    assert stats.sent == 0
    with Session(service.engine) as session:
        people = {p.email: p for p in session.exec(select(Person))}
        assert people["ann@example.org"].status == "paused" and people["bob@example.org"].status == "left"
        assert {d.status for d in session.exec(select(Delivery))} == {"cancelled"}
    assert run_planning(service, utcnow() + timedelta(days=7)).planned == []
    audit = runner.invoke(app, ["audit", "--json"])
    assert {row["action"] for row in json.loads(audit.stdout)} >= {"people.paused", "people.left"}


def test_retention_deletes_old_replies_and_keeps_anonymous_counts(service, sent):
    client, link = sent
    client.post(link, data={"check": "1", "practice": "already", "reflection": "kept short"})
    with Session(service.engine) as session:
        reply = session.exec(select(Reply)).one()
        reply.created_at = utcnow() - timedelta(days=800)
        session.add(reply)
        session.commit()
    assert run_retention(service) == 1
    assert run_retention(service) == 0  # idempotent
    with Session(service.engine) as session:
        assert session.exec(select(Reply)).all() == []
        (tally,) = session.exec(select(ReplyTally)).all()
    assert (tally.role, tally.practice, tally.count) == ("teacher", "already", 1)


def test_retention_clears_old_follow_up_lines_like_reflections(service, sent):
    """What got in the way (a follow-up's optional line) is free text like a reflection: past the retention
    period it goes; the answer stays, and a newer line is kept."""
    with Session(service.engine) as session:
        nudge = session.exec(select(Delivery)).first()
        assert nudge is not None and nudge.id is not None
        written = {}
        for age_days, line in ((800, "no time on the ward that month"), (10, "the form was missing")):
            followup = Delivery(
                person_id=nudge.person_id,
                period=f"f{nudge.id}-{age_days}",
                lesson_id=nudge.lesson_id,
                lesson_version=nudge.lesson_version,
                channel=nudge.channel,
                kind="followup",
                parent_id=nudge.id,
                status="sent",
                due_at=utcnow() - timedelta(days=age_days),
                created_at=utcnow() - timedelta(days=age_days),
            )
            session.add(followup)
            session.flush()
            assert followup.id is not None
            when = utcnow() - timedelta(days=age_days)
            session.add(
                FollowUpAnswer(
                    delivery_id=followup.id,
                    person_id=nudge.person_id,
                    lesson_id=nudge.lesson_id,
                    outcome="not_fit",
                    barrier=line,
                    created_at=when,
                    updated_at=when,
                )
            )
            written[age_days] = followup.id
        session.commit()
    run_retention(service)
    with Session(service.engine) as session:
        kept = {a.delivery_id: (a.outcome, a.barrier) for a in session.exec(select(FollowUpAnswer))}
        detail = session.exec(select(AuditEvent.detail).where(AuditEvent.action == "retention")).one()
    assert kept == {written[800]: ("not_fit", None), written[10]: ("not_fit", "the form was missing")}
    assert "1 follow-up lines" in detail


def test_forget_leaves_no_copy_in_the_sqlite_file_or_its_wal(service, sent, settings, monkeypatch):
    if not settings.database_url.startswith("sqlite"):
        pytest.skip("PostgreSQL: forget runs VACUUM; docs/privacy.md says what remains until it does")
    path = settings.database_url.removeprefix("sqlite:///")
    monkeypatch.setenv("LESSONLOOP_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("LESSONLOOP_ENV", "test")
    monkeypatch.setenv("LESSONLOOP_MAIL_DIR", str(settings.mail_dir))

    def on_disk() -> bytes:
        return b"".join(open(p, "rb").read() for p in (path, path + "-wal") if os.path.exists(p))

    assert b"zara.quinn@example.org" in on_disk()
    result = runner.invoke(app, ["people", "forget", "zara.quinn@example.org", "--yes"])
    assert result.exit_code == 0, result.output
    raw = on_disk()
    assert b"zara.quinn@example.org" not in raw and b"Zara Quinn" not in raw


def test_ids_are_never_reused_after_forget(service, settings, monkeypatch):
    from bot.web import dashboard_auth

    add_people(service.engine, ["old.admin@example.org,Old Admin,social-worker,Blue,North,Europe/London,Tuesday,10:00"])
    with Session(service.engine) as session:
        old = session.exec(select(Person)).one()
        old.access = "admin"
        session.add(old)
        session.commit()
        old_id = old.id
    cookie = service.signer.sign("dashboard", old_id, utcnow() + timedelta(hours=1))
    unsubscribe = service.signer.sign("unsubscribe", old_id, utcnow() + timedelta(days=30))
    monkeypatch.setenv("LESSONLOOP_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("LESSONLOOP_ENV", "test")
    assert runner.invoke(app, ["people", "forget", "old.admin@example.org", "--yes"]).exit_code == 0
    add_people(service.engine, ["new.admin@example.org,New Admin,social-worker,Blue,North,Europe/London,Tuesday,10:00"])
    with Session(service.engine) as session:
        new = session.exec(select(Person)).one()
        new.access = "admin"
        session.add(new)
        session.commit()
        assert new.id != old_id
        assert dashboard_auth.viewer(service, session, cookie) is None
    TestClient(create_app(service)).post(f"/u/{unsubscribe}")
    with Session(service.engine) as session:
        assert session.exec(select(Person)).one().status == "active"


@pytest.mark.parametrize("days", ["-5", "0"])
def test_retention_refuses_days_below_one_and_deletes_nothing(service, sent, settings, monkeypatch, days):
    client, link = sent
    client.post(link, data={"practice": "already"})
    monkeypatch.setenv("LESSONLOOP_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("LESSONLOOP_ENV", "test")
    result = runner.invoke(app, ["retention", "--days", days, "--yes"])
    assert result.exit_code == 2 and "--days" in result.output
    with Session(service.engine) as session:
        assert len(session.exec(select(Reply)).all()) == 1


def test_retention_says_what_it_will_delete_and_asks(service, sent, settings, monkeypatch):
    client, link = sent
    client.post(link, data={"practice": "already"})
    with Session(service.engine) as session:
        reply = session.exec(select(Reply)).one()
        reply.created_at = utcnow() - timedelta(days=10)
        session.add(reply)
        session.commit()
    monkeypatch.setenv("LESSONLOOP_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("LESSONLOOP_ENV", "test")
    declined = runner.invoke(app, ["retention", "--days", "5"], input="n\n")
    assert declined.exit_code == 1 and "This deletes 1 replies" in declined.output
    with Session(service.engine) as session:
        assert len(session.exec(select(Reply)).all()) == 1
    monkeypatch.setenv("LESSONLOOP_RETENTION_DAYS", "-1")
    bad = runner.invoke(app, ["retention", "--yes"])
    assert bad.exit_code == 2 and "LESSONLOOP_RETENTION_DAYS" in bad.output
    monkeypatch.delenv("LESSONLOOP_RETENTION_DAYS")
    assert runner.invoke(app, ["retention", "--days", "5", "--yes"]).exit_code == 0
    with Session(service.engine) as session:
        assert session.exec(select(Reply)).all() == []
