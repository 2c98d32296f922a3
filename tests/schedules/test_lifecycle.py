"""Lesson lifecycle: versions stay with history; drafts and retired lessons are never scheduled."""

import asyncio
import re
from datetime import date
from email import message_from_bytes, policy

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from bot.web.app import create_app
from bot.jobs.dispatcher import dispatch_due
from bot.jobs.planning import run_planning
from lesson_bank.bank import load_lessons
from schedules.models import Delivery, Reply
from tests.conftest import utc
from tests.helpers import add_people, write
from tests.lesson_bank.test_lesson_bank import GOOD

NOW = utc(2026, 11, 24, 12)


def use_lessons(service, folder) -> None:
    result = load_lessons([(folder, True)], date(2026, 11, 23))
    assert not result.errors, result.errors
    service.lessons = result.by_id()


def test_an_edited_lesson_keeps_old_replies_on_the_old_version(service, tmp_path):
    path = write(tmp_path / "local" / "local-one.md", GOOD.format(id="local-one"))
    use_lessons(service, tmp_path / "local")
    old_version = service.lessons["local-one"].version
    add_people(service.engine, ["ann@example.org,Ann,teacher,Team,Agency,Europe/London,Tuesday,10:00"])
    run_planning(service, NOW)
    asyncio.run(dispatch_due(service, lambda: NOW))
    (mail,) = service.settings.mail_dir.glob("*.eml")
    reply_path = re.search(
        r"http://testserver(/r/[\w.-]+)\?",
        message_from_bytes(mail.read_bytes(), policy=policy.default).get_body(("plain",)).get_content(),
    ).group(1)
    # The author rewrites the question: option 3 is now the right one and the wording changes.
    path.write_text(
        path.read_text().replace("answer: 2", "answer: 3").replace("What does 'child seen' tell you?", "A NEW QUESTION?")
    )
    use_lessons(service, tmp_path / "local")
    assert service.lessons["local-one"].version != old_version
    client = TestClient(create_app(service))
    page = client.get(reply_path)
    assert "What does &#39;child seen&#39; tell you?" in page.text and "A NEW QUESTION?" not in page.text
    client.post(reply_path, data={"check": "2"})
    with Session(service.engine) as session:
        reply = session.exec(select(Reply)).one()
    assert reply.lesson_version == old_version and reply.check_correct is True  # judged as it was asked


def test_drafts_and_retired_lessons_are_not_scheduled_but_keep_history(service, tmp_path):
    folder = tmp_path / "local"
    write(folder / "draft-one.md", GOOD.format(id="draft-one").replace("title: A test lesson", "title: A draft\nstatus: draft"))
    live = write(folder / "live-one.md", GOOD.format(id="live-one"))
    use_lessons(service, folder)
    add_people(service.engine, ["ann@example.org,Ann,teacher,Team,Agency,Europe/London,Tuesday,10:00"])
    assert [p.lesson_id for p in run_planning(service, NOW).planned] == ["live-one"]
    live.write_text(live.read_text().replace("title: A test lesson", "title: A test lesson\nstatus: retired"))
    use_lessons(service, folder)
    assert run_planning(service, utc(2026, 12, 1, 12)).planned == []  # nothing left to send this person
    stats = asyncio.run(dispatch_due(service, lambda: NOW))  # planned before retiring: withdrawn, not sent
    assert (stats.sent, stats.cancelled) == (0, 1)
    with Session(service.engine) as session:
        assert session.exec(select(Delivery)).one().last_error == "lesson 'live-one' was retired"
