"""Signed links: GET shows, POST records, idempotently; spacing updates; one-click unsubscribe."""

import asyncio
import json
import re
from email import message_from_bytes, policy

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.exc import SQLAlchemyError
from markupsafe import escape
from sqlmodel import Session, select

from bot.web.app import create_app
from bot.jobs.dispatcher import dispatch_due
from bot.jobs.planning import run_planning
from bot.core.signing import Signer
from schedules.models import Delivery, Person, Reply, SpacingCard
from tests.conftest import utc
from tests.helpers import add_people

NOW = utc(2026, 11, 24, 12)


@pytest.fixture
def sent(service):
    """One nudge sent to one person; returns (client, reply path, unsubscribe path, lesson)."""
    add_people(service.engine, ["ann@example.org,Ann,social-worker,Team,Agency,Europe/London,Tuesday,10:00"])
    run_planning(service, NOW)
    asyncio.run(dispatch_due(service, lambda: NOW))
    (path,) = service.settings.mail_dir.glob("*.eml")
    text = message_from_bytes(path.read_bytes(), policy=policy.default).get_body(("plain",)).get_content()
    reply = re.search(r"http://testserver(/r/[\w.-]+)\?check=1", text).group(1)
    unsubscribe = re.search(r"http://testserver(/u/[\w.-]+)", text).group(1)
    with Session(service.engine) as session:
        delivery = session.exec(select(Delivery)).one()
    return TestClient(create_app(service)), reply, unsubscribe, service.lessons[delivery.lesson_id]


def replies(service):
    with Session(service.engine) as session:
        return list(session.exec(select(Reply)))


def card(service):
    with Session(service.engine) as session:
        return session.exec(select(SpacingCard)).one()


def test_get_only_shows_a_confirm_page(service, sent):
    client, reply, _, lesson = sent
    page = client.get(f"{reply}?check=2")
    assert (
        page.status_code == 200 and "Confirm and save my answer" in page.text and str(escape(lesson.check.question)) in page.text
    )
    assert 'value="2" checked' in page.text and "two clicks" in page.text
    assert replies(service) == []


def test_head_on_a_reply_link_answers_like_get_and_records_nothing(service, sent):
    """Some link scanners send HEAD: it must not be refused (405) and must never record an answer."""
    client, reply, unsubscribe, _ = sent
    for path in (f"{reply}?check=1&practice=changed", unsubscribe):
        head, get = client.head(path), client.get(path)
        assert head.status_code == get.status_code == 200
        assert head.headers["content-type"] == get.headers["content-type"]
    assert replies(service) == []
    with Session(service.engine) as session:
        assert session.exec(select(Person)).one().status == "active"


def test_unknown_addresses_get_an_html_page(service, sent):
    client = sent[0]
    page = client.get("/no-such-page", headers={"accept": "text/html"})
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    assert "<h1>Page not found</h1>" in page.text
    api = client.get("/api/nothing", headers={"accept": "application/json"})
    assert api.status_code == 404 and api.json() == {"detail": "Not Found"}


def test_post_records_once_and_a_second_post_updates(service, sent):
    client, reply, _, lesson = sent
    wrong = next(i for i in range(1, len(lesson.check.options) + 1) if i != lesson.check.answer)
    first = client.post(reply, data={"check": str(wrong), "practice": "not_yet"})
    assert first.status_code == 200 and "Not quite" in first.text and str(escape(lesson.check.explanation)) in first.text
    (saved,) = replies(service)
    assert (saved.check_answer, saved.check_correct, saved.practice, saved.rating) == (wrong, False, "not_yet", 1)
    again_card = json.loads(card(service).card_json)
    assert again_card["state"] == 2  # Review state after an Again with no relearning steps
    second = client.post(
        reply, data={"check": str(lesson.check.answer), "practice": "already", "reflection": "Asked the child alone."}
    )
    assert "That&#39;s right." in second.text and "Not quite." not in second.text
    (updated,) = replies(service)
    assert (updated.check_correct, updated.practice, updated.rating, updated.reflection) == (
        True,
        "already",
        4,
        "Asked the child alone.",
    )
    easy = card(service)
    assert easy.due_at > utc(2026, 12, 1)  # Easy from the same starting point schedules well ahead
    # replaying the same POST changes nothing
    client.post(reply, data={"check": str(lesson.check.answer), "practice": "already"})
    assert len(replies(service)) == 1 and card(service).card_json == easy.card_json


def test_right_answer_is_good_and_not_relevant_retires(service, sent):
    client, reply, _, lesson = sent
    client.post(reply, data={"check": str(lesson.check.answer)})
    good = card(service)
    assert replies(service)[0].rating == 3 and not good.retired
    client.post(reply, data={"practice": "not_relevant"})
    assert card(service).retired and replies(service)[0].rating is None


def test_bad_and_expired_tokens_record_nothing(service, sent):
    client, reply, _, _ = sent
    forged = reply[:-3] + "abc"
    assert client.post(forged, data={"check": "1"}).status_code == 400
    expired = Signer(b"test-secret-key").sign("reply", 1, utc(2020, 1, 1))
    response = client.post(f"/r/{expired}", data={"check": "1"})
    assert response.status_code == 400 and "expired" in response.text
    assert client.post(reply, data={"check": "9"}).status_code == 422
    assert client.post(reply, data={"practice": "maybe"}).status_code == 422
    assert replies(service) == []


def test_one_click_unsubscribe_stops_nudges_at_once(service, sent):
    client, _, unsubscribe, _ = sent
    assert client.get(unsubscribe).status_code == 200
    with Session(service.engine) as session:
        assert session.exec(select(Person)).one().status == "active"
    response = client.post(
        unsubscribe, content="List-Unsubscribe=One-Click", headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert response.status_code == 200
    with Session(service.engine) as session:
        assert session.exec(select(Person)).one().status == "unsubscribed"
    assert run_planning(service, utc(2026, 12, 1, 12)).planned == []


def test_healthz(service):
    response = TestClient(create_app(service)).get("/healthz")
    assert response.json()["status"] == "ok"


LONG = "\r\n".join(["Asked him"] * 200)  # 1,999 characters as the browser counts them, 2,198 as sent


def test_a_reflection_the_browser_allowed_is_saved_with_its_line_breaks(service, sent):
    client, reply, _, _ = sent
    assert len(LONG.replace("\r\n", "\n")) <= 2000 < len(LONG)  # the browser counted it under the limit
    response = client.post(reply, data={"practice": "changed", "reflection": LONG})
    assert response.status_code == 200
    assert replies(service)[0].reflection == LONG.replace("\r\n", "\n")


def test_a_too_long_reflection_shows_the_page_again_with_the_text(service, sent):
    client, reply, _, _ = sent
    text = "Line one of a long reflection.\r\n" + "x" * 2100
    response = client.post(reply, data={"practice": "changed", "reflection": text})
    assert response.status_code == 422 and response.headers["content-type"].startswith("text/html")
    assert "the limit is 2000" in response.text and "x" * 2100 in response.text
    assert 'value="changed" checked' in response.text and replies(service) == []


@pytest.mark.parametrize(
    "data",
    [
        {"check": "²", "reflection": "Kept text"},
        {"check": "1", "reflection": "Kept\x00 text"},
        {"check": "-1", "reflection": "Kept text"},
    ],
)
def test_odd_input_gets_a_clear_page_with_the_text_never_a_500(service, sent, data):
    client, reply, _, _ = sent
    response = client.post(reply, data=data)
    assert response.status_code in (400, 422) and "text/html" in response.headers["content-type"]
    assert "Kept" in response.text and 'role="alert"' in response.text
    assert client.get(f"{reply}?check=%C2%B2").status_code == 200
    assert replies(service) == []


def test_a_form_is_read_as_the_browser_sent_it_urlencoded_or_multipart(service, sent):
    """The reply page reads its form itself (no form dependency): raw UTF-8, percent-escapes, '+' spaces,
    bytes that are not UTF-8 and a multipart body all arrive as the person typed them."""
    client, reply, _, _ = sent
    body = "practice=changed&reflection=caf%C3%A9+and+naïve+%E2%80%94 ok&check=".encode() + b"&x=\xff"
    response = client.post(reply, content=body, headers={"content-type": "application/x-www-form-urlencoded"})
    assert response.status_code == 200
    assert replies(service)[0].reflection == "café and naïve — ok"
    raw = "practice=already&reflection=Bad byte \xff here and ümlaut".encode("latin-1")
    response = client.post(reply, content=raw, headers={"content-type": "application/x-www-form-urlencoded; charset=UTF-8"})
    assert response.status_code == 200 and replies(service)[0].reflection == "Bad byte \ufffd here and \ufffdmlaut"
    response = client.post(reply, files={"practice": (None, "not_yet"), "reflection": (None, "Sent as multipart")})
    assert response.status_code == 200
    assert (replies(service)[0].practice, replies(service)[0].reflection) == ("not_yet", "Sent as multipart")


def test_a_database_error_while_saving_keeps_the_text_and_logs_none_of_it(service, sent, caplog):
    client, reply, _, _ = sent
    with service.engine.begin() as connection:
        if connection.dialect.name == "sqlite":
            connection.exec_driver_sql("CREATE TRIGGER refuse BEFORE INSERT ON reply BEGIN SELECT RAISE(ABORT, 'disk full'); END")
        else:
            connection.exec_driver_sql(
                "CREATE FUNCTION refuse() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'disk full'; END $$ LANGUAGE plpgsql"
            )
            connection.exec_driver_sql("CREATE TRIGGER refuse BEFORE INSERT ON reply FOR EACH ROW EXECUTE FUNCTION refuse()")
    secret = "Worried about Jayden at the Tuesday visit"
    caplog.set_level("DEBUG")
    response = TestClient(client.app, raise_server_exceptions=False).post(
        reply, data={"practice": "changed", "reflection": secret}
    )
    # PostgreSQL: a database error (503); SQLite reports a trigger's RAISE as a constraint error (422)
    assert response.status_code in (422, 503) and "Jayden at the Tuesday visit" in response.text
    assert "Jayden" not in caplog.text
    with pytest.raises(SQLAlchemyError) as failed, Session(service.engine) as session:
        session.add(Reply(delivery_id=1, lesson_id="x", lesson_version="v", reflection=secret, created_at=NOW, updated_at=NOW))
        session.commit()
    assert "Jayden" not in str(failed.value)  # what a traceback in the server log would print


def test_a_database_that_cannot_be_reached_still_hands_the_text_back(service, sent, caplog, tmp_path):
    """The POST reads nothing before saving (the token says which delivery), so when the database is away the
    page that says so cannot show the lesson: it still gives the person back what they wrote."""
    from sqlalchemy import create_engine

    client, reply, _, _ = sent
    working = service.engine
    service.engine = create_engine(f"sqlite:///{tmp_path / 'missing-folder' / 'gone.db'}")
    try:
        response = TestClient(client.app, raise_server_exceptions=False).post(
            reply, data={"practice": "changed", "reflection": "Asked to see Kai's bedroom"}
        )
    finally:
        service.engine.dispose()
        service.engine = working
    assert response.status_code == 503 and "Asked to see Kai" in response.text
    assert "Kai" not in caplog.text
    assert replies(service) == []


def test_a_reflection_lengthened_by_redaction_still_fits_every_edit_box(service, sent):
    """Slack's modal, the Teams card and this page all accept 2,000 characters: what is stored must too."""
    client, reply, _, _ = sent
    text = ("Ms Oka saw. " * 166)[:2000]  # each "Ms Oka" becomes "[name removed]": about 3,300 characters
    page = client.post(reply, data={"practice": "changed", "reflection": text})
    assert page.status_code == 200 and "past the 2,000-character limit" in page.text
    (saved,) = replies(service)
    assert len(saved.reflection) <= 2000 and saved.reflection.endswith("[name removed]…")
    assert "Oka" not in saved.reflection
