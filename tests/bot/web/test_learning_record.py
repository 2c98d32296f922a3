"""My learning record: reached by the signed link in every email, showing only that person's lessons,
answers, reflections and follow-ups, as a page and as a PDF shaped for registration; `people export`
carries the same record."""

import io
import json
import re
from datetime import timedelta
from email import message_from_bytes, policy

import httpx
from pypdf import PdfReader
from sqlmodel import Session, select
from typer.testing import CliRunner

from bot.cli.main import app
from bot.compose import build_service
from bot.jobs.dispatcher import dispatch_due
from bot.jobs.planning import run_planning
from bot.web.app import create_app
from schedules.models import Delivery, FollowUpAnswer, Person, Reply
from tests.conftest import utc
from tests.helpers import add_people

NOW = utc(2026, 11, 24, 12)
FOLLOW_UP_SLOT = utc(2026, 12, 29, 10)


async def lived_history(settings, smtp_server):
    """Ann: a nudge, a reply with a reflection, then the follow-up and its answer. Ben: a nudge, no answer."""
    service = build_service(settings.model_copy(update={"smtp_url": f"smtp://127.0.0.1:{smtp_server.port}"}))
    add_people(
        service.engine,
        [
            "ann@example.org,Ann Smith,social-worker,North,Council,Europe/London,Tuesday,10:00",
            "ben@example.org,Ben Jones,health-visitor,North,Council,Europe/London,Tuesday,10:00",
        ],
    )
    run_planning(service, NOW)
    await dispatch_due(service, lambda: NOW)
    with Session(service.engine) as session:
        ann_nudge = session.exec(select(Delivery).where(Delivery.person_id == 1)).one()
        session.add(
            Reply(
                delivery_id=ann_nudge.id,
                person_id=1,
                lesson_id=ann_nudge.lesson_id,
                lesson_version=ann_nudge.lesson_version,
                practice="changed",
                check_correct=True,
                check_answer=1,
                reflection="I will ask to see where the baby sleeps.",
                created_at=NOW + timedelta(hours=1),
                updated_at=NOW,
            )
        )
        session.commit()
        session.refresh(ann_nudge)
        session.expunge(ann_nudge)
    run_planning(service, FOLLOW_UP_SLOT)
    await dispatch_due(service, lambda: FOLLOW_UP_SLOT)
    with Session(service.engine) as session:
        followup = session.exec(select(Delivery).where(Delivery.kind == "followup")).one()
        session.add(
            FollowUpAnswer(
                delivery_id=followup.id,
                person_id=1,
                lesson_id=followup.lesson_id,
                outcome="helped",
                barrier="Hard to find the time on duty weeks.",
                created_at=FOLLOW_UP_SLOT,
                updated_at=FOLLOW_UP_SLOT,
            )
        )
        session.commit()
    return service, ann_nudge


def links_in(envelope) -> list[str]:
    text = message_from_bytes(envelope.original_content, policy=policy.default).get_body(("plain",)).get_content()
    return re.findall(r"http://testserver/me/([\w.-]+)", text)


async def test_the_email_footer_opens_my_record_and_only_mine(settings, smtp_server):
    service, ann_nudge = await lived_history(settings, smtp_server)
    lesson = service.lessons[ann_nudge.lesson_id]
    by_recipient = {m.rcpt_tos[0]: m for m in smtp_server.messages}
    assert len(smtp_server.messages) == 4  # two nudges, Ben's reminder, Ann's follow-up: every one has the link
    assert all(len(links_in(m)) == 1 for m in smtp_server.messages)
    ann_token, ben_token = links_in(by_recipient["ann@example.org"])[0], links_in(by_recipient["ben@example.org"])[0]
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(service)), base_url="http://testserver") as client:
        page = await client.get(f"/me/{ann_token}")
        assert page.status_code == 200 and page.headers["cache-control"] == "private, no-store"
        for shown in (
            lesson.title,
            "Yes, I changed something",
            "I will ask to see where the baby sleeps.",
            "I tried it and it helped",
            "Hard to find the time on duty weeks.",
            "Ann Smith",
        ):
            assert shown in page.text.replace("&#39;", "'"), shown
        ben = await client.get(f"/me/{ben_token}")
        assert "Ben Jones" in ben.text and "baby sleeps" not in ben.text and "Ann" not in ben.text
        assert "not answered" in ben.text
        pdf = await client.get(f"/me/{ann_token}/record.pdf")
        assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
        assert pdf.headers["content-disposition"].startswith('attachment; filename="learning-record-')
        text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
        text = " ".join(text.split())
        for part in (
            "What happened: the activity",
            "What I learned",
            "How it changed my practice",
            "Which standard it relates to",
            "Social Work England",
            "NMC Code",
            "Preserve safety",
            lesson.title,
            "I will ask to see where the baby sleeps.",
            "I tried it and it helped",
        ):
            assert part in text, part
        # the wrong purpose, a forged token, or someone else's id: nothing shown
        reply_token = service.signer.sign("reply", 1, utc(2099, 1, 1))
        assert (await client.get(f"/me/{reply_token}")).status_code == 400
        assert (await client.get(f"/me/{ann_token[:-3]}abc")).status_code == 400
        assert (await client.get(f"/me/{reply_token}/record.pdf")).status_code == 400
    await service.close()


async def test_people_export_includes_the_same_record(settings, smtp_server, monkeypatch):
    service, _ = await lived_history(settings, smtp_server)
    await service.close()
    monkeypatch.setenv("LESSONLOOP_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("LESSONLOOP_ENV", "test")
    result = CliRunner().invoke(app, ["people", "export", "ann@example.org", "--by", "test"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    [entry] = data["learning_record"]["entries"]
    assert (entry["practice"], entry["outcome"], entry["reflection"]) == (
        "Yes, I changed something",
        "I tried it and it helped",
        "I will ask to see where the baby sleeps.",
    )
    assert data["followup_answers"][0]["outcome"] == "helped"


async def test_the_records_source_line_names_public_sources_only(settings, smtp_server):
    """A lesson's seed provenance (for its authors) never shows on the record or its PDF, not even as an empty "; "."""
    from dataclasses import replace

    from bot.core.learning_records import learning_record
    from lesson_bank.model import Source

    service, ann_nudge = await lived_history(settings, smtp_server)
    lesson = service.lessons[ann_nudge.lesson_id]
    seed = Source(seed="some-review.md", lines="10-12")
    public = Source(title="A public report", publisher="A publisher", year=2024, url="https://example.org/report")
    service.lessons[lesson.id] = replace(lesson, sources=(seed, public, seed))  # same version: the record reads it
    with Session(service.engine) as session:
        person = session.get(Person, 1)
        [entry, *_] = [
            e for e in learning_record(service, session, person, FOLLOW_UP_SLOT.date()).entries if e.title == lesson.title
        ]
    assert entry.source == "A public report, A publisher (2024): https://example.org/report"
