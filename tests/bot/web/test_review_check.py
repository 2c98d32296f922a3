"""A spaced review asks the lesson's second check, in the email and on the reply page, scores the answer
against that check and records which check was answered; local contacts fill the placeholders."""

import asyncio
import re
from email import message_from_bytes, policy

from fastapi.testclient import TestClient
from markupsafe import escape
from sqlmodel import Session, select

from bot.compose import build_service
from bot.jobs.dispatcher import dispatch_due
from bot.jobs.planning import run_planning
from bot.web.app import create_app
from schedules.models import Delivery, Reply
from tests.conftest import utc
from tests.helpers import add_people

NOW = utc(2026, 11, 24, 12)


def _send_one(service, *, review: bool):
    add_people(service.engine, ["ann@example.org,Ann,social-worker,Team,Agency,Europe/London,Tuesday,10:00"])
    run_planning(service, NOW)
    with Session(service.engine) as session:
        delivery = session.exec(select(Delivery)).one()
        delivery.is_review = review
        session.add(delivery)
        session.commit()
        lesson = service.lessons[delivery.lesson_id]
    asyncio.run(dispatch_due(service, lambda: NOW))
    (path,) = service.settings.mail_dir.glob("*.eml")
    text = message_from_bytes(path.read_bytes(), policy=policy.default).get_body(("plain",)).get_content()
    reply = re.search(r"http://testserver(/r/[\w.-]+)\?check=1", text).group(1)
    return TestClient(create_app(service)), reply, lesson, text


def _reply(service) -> Reply:
    with Session(service.engine) as session:
        return session.exec(select(Reply)).one()


def test_a_review_asks_and_scores_the_second_check(service):
    client, reply, lesson, text = _send_one(service, review=True)
    assert lesson.review_check is not None and lesson.review_check.question != lesson.check.question
    assert lesson.review_check.question in text
    assert str(escape(lesson.review_check.question)) in client.get(reply).text  # as the page escapes it
    client.post(reply, data={"check": str(lesson.review_check.answer)})
    saved = _reply(service)
    assert saved.check_asked == "review" and saved.check_correct is True


def test_a_first_send_asks_the_first_check(service):
    client, reply, lesson, text = _send_one(service, review=False)
    assert lesson.check.question in text and lesson.review_check.question not in text
    wrong = next(n for n in range(1, 5) if n != lesson.check.answer)
    client.post(reply, data={"check": str(wrong)})
    saved = _reply(service)
    assert saved.check_asked == "first" and saved.check_correct is False


def test_local_contacts_fill_placeholders_in_every_lesson(settings, monkeypatch):
    import lesson_bank

    monkeypatch.setattr("bot.core.content.BUNDLED_LESSONS", lesson_bank.BUNDLED_LESSONS)  # the real bank
    plain = build_service(settings)
    local = build_service(settings.model_copy(update={"local_front_door": "Northshire Front Door, 0300 123 4567"}))
    with_placeholder = [
        lesson_id
        for lesson_id, lesson in plain.lessons.items()
        if "children's social care front door" in lesson.body + lesson.try_this_week + " ".join(lesson.check.options)
    ]
    assert with_placeholder, "the bank should use {local:front_door} somewhere"
    for lesson_id in with_placeholder:
        filled = local.lessons[lesson_id]
        assert "Northshire Front Door, 0300 123 4567" in filled.body + filled.try_this_week + " ".join(filled.check.options)
    assert not any("{local:" in lesson.body for lesson in local.lessons.values())
    plain.engine.dispose()
    local.engine.dispose()
