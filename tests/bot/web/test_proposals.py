"""Propose a lesson from the reply page: checked like a reflection, reviewed by safeguarding leads
(anonymous unless credited), accepted into a draft that lints once completed, and the proposer told once
it is published."""

import asyncio
import html
import json
import re
from datetime import date
from email import message_from_bytes, policy

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select
from typer.testing import CliRunner

from bot.cli.main import app as cli
from bot.compose import build_service
from bot.core.content import load_bank
from bot.jobs.voice_notices import send_published_notices
from bot.web.app import create_app
from schedules.models import AuditEvent
from schedules.voice_models import LessonProposal
from tests.bot.web.voice_helpers import NOW, lead_client, reply_path, send_nudges

ROWS = [
    "ann@example.org,Ann Hale,social-worker,Team,Agency,Europe/London,Tuesday,10:00",
    "bob@example.org,Bob Reed,health-visitor,Other,Elsewhere,Europe/London,Tuesday,10:00",
]
WHAT = "At a home visit on 03/04/2019 the mother said the baby slept in a drawer. Call 07700 900123 to check."
LEARNED = "Ask to see where the baby sleeps, every visit, and write down what you saw."


@pytest.fixture
def local_settings(settings, tmp_path):
    return settings.model_copy(update={"local_lessons": tmp_path / "local"})


@pytest.fixture
def voice_service(local_settings):
    service = build_service(local_settings)
    send_nudges(service, ROWS)
    yield service
    service.engine.dispose()


def propose(service, email: str, **extra) -> TestClient:
    client = TestClient(create_app(service))
    path = reply_path(service, email)
    form = client.get(f"{path}/propose")
    assert form.status_code == 200 and "could identify a child" in form.text and 'name="credit"' in form.text
    data = {"what_happened": WHAT, "learned": LEARNED, "roles": ["health-visitor", "social-worker"]} | extra
    saved = client.post(f"{path}/propose", data=data)
    assert saved.status_code == 200, saved.text
    assert "We took out a phone number, a date of birth" in saved.text and "safeguarding leads for review" in saved.text
    return client


def test_the_reply_page_and_thanks_page_link_to_the_forms(voice_service):
    client = TestClient(create_app(voice_service))
    path = reply_path(voice_service, "ann@example.org")
    assert f'href="{path}/propose"' in client.get(path).text
    assert f"{path}/moment" in client.post(path, data={"practice": "changed"}).text


def test_a_proposal_is_stored_redacted_and_anonymous_to_leads(voice_service):
    propose(voice_service, "ann@example.org")
    with Session(voice_service.engine) as session:
        (stored,) = session.exec(select(LessonProposal)).all()
    assert "07700" not in stored.what_happened and "03/04/2019" not in stored.what_happened
    assert stored.roles == "health-visitor,social-worker" and stored.agency == "Agency" and not stored.credit_name
    lead = lead_client(voice_service, "safe@example.org", "safeguarding_lead")
    page = lead.get("/dashboard/proposals").text
    assert "[phone number removed]" in page and "Anonymous" in page and "Ann" not in page
    assert lead.get("/dashboard/proposals.json").json()[0]["credit"] is None


def test_credit_shows_the_name_and_a_live_concern_is_signposted(voice_service):
    client = TestClient(create_app(voice_service))
    path = reply_path(voice_service, "ann@example.org")
    saved = client.post(
        f"{path}/propose",
        data={
            "what_happened": "I am worried a child is being hurt at home right now.",
            "learned": "Act the same day.",
            "credit": "yes",
        },
    )
    assert "If you are worried about a child now" in saved.text
    lead = lead_client(voice_service, "safe@example.org", "safeguarding_lead")
    assert "Credit: Ann Hale" in lead.get("/dashboard/proposals").text


def test_bad_input_comes_back_with_everything_written(voice_service):
    client = TestClient(create_app(voice_service))
    path = reply_path(voice_service, "ann@example.org")
    bad = client.post(
        f"{path}/propose", data={"what_happened": "Something I learned on a visit", "learned": " ", "roles": ["wizard"]}
    )
    assert (
        bad.status_code == 422
        and "field 'learned' is empty" in html.unescape(bad.text)
        and "Something I learned on a visit" in bad.text
    )
    assert client.post("/r/not-a-token/propose", data={"what_happened": "x", "learned": "y"}).status_code == 400
    with Session(voice_service.engine) as session:
        assert session.exec(select(LessonProposal)).all() == []


def test_only_safeguarding_leads_of_the_agency_review(voice_service):
    propose(voice_service, "bob@example.org")  # agency Elsewhere
    assert (
        "No proposals yet" in lead_client(voice_service, "safe@example.org", "safeguarding_lead").get("/dashboard/proposals").text
    )
    assert lead_client(voice_service, "tl@example.org", "team_lead").get("/dashboard/proposals").status_code == 403
    assert "baby slept" in lead_client(voice_service, "admin@example.org", "admin").get("/dashboard/proposals").text
    signed_out = TestClient(create_app(voice_service)).get("/dashboard/proposals", follow_redirects=False)
    assert signed_out.status_code == 303


COMPLETED = """reflect: "When did you last see where a baby sleeps, rather than ask?"
check:
  question: "A mother says the baby sleeps in a cot. You have not seen it. What do you do?"
  options:
    - text: "Ask to see where the baby sleeps before you leave"
      why: "Right: seeing the sleep space is how you know it is safe."
    - text: "Note that the mother says the baby has a cot"
      why: "What you were told is not what you saw; look for yourself."
    - text: "Leave a safer sleep leaflet and move on"
      why: "A leaflet helps, but it does not tell you where the baby sleeps."
    - text: "Ask the health visitor to check at their next visit"
      why: "You are there now; do not pass on what you can see today."
  answer: 1
review_check:
  question: "A father says the baby naps on the sofa with him sometimes. What now?"
  options:
    - text: "Say nothing, as it is only sometimes"
      why: "Sofa sleeping is a known risk even when it is occasional."
    - text: "Tell him to stop and write it down"
      why: "Telling is not enough; talk through a safe plan with him."
    - text: "Talk through safer sleep with him and see the cot"
      why: "Right: a plan made together, and a sleep space you have seen."
    - text: "Wait for the mother to come home"
      why: "He cares for the baby too; talk with him now."
  answer: 3
try_this_week: "On each visit to a baby this week, ask to see where the baby sleeps."
sources:
  - title: "Safer sleep advice"
    publisher: "The Lullaby Trust"
    year: 2024
    url: "https://www.lullabytrust.org.uk/safer-sleep-advice/"
"""


def complete(path) -> None:
    """What the lead does with the draft: write the lesson (checks, a public source), then publish it."""
    text = path.read_text(encoding="utf-8")
    assert "status: draft" in text and "the baby slept in a drawer" in text and LEARNED in text
    head, rest = text.split("reflect:", 1)
    tail = rest[rest.index("# review_by") :]
    text = head.replace('title: "Write a short title that says the practice point"', 'title: "Where does the baby sleep?"')
    text = text.replace("status: draft ", "status: published ").replace("guidance: []", "guidance: [wt2023]")
    text = text + COMPLETED + tail
    text = text.replace(
        "The pressures and system conditions that made this easy to miss. Never blame a person.",
        "Visits are busy. Sleep is easy to forget. We ask about it but do not look.",
    )
    path.write_text(text, encoding="utf-8")


def test_accepting_writes_a_draft_that_lints_once_completed_and_the_proposer_is_told(voice_service, local_settings):
    propose(voice_service, "ann@example.org")
    lead = lead_client(voice_service, "safe@example.org", "safeguarding_lead")
    (item,) = lead.get("/dashboard/proposals.json").json()
    accepted = lead.post(f"/dashboard/proposals/{item['id']}/accept", data={"theme": "infants"})
    assert accepted.status_code == 200 and f"infants-proposal-{item['id']}.md" in accepted.text
    assert lead.post(f"/dashboard/proposals/{item['id']}/accept", data={"theme": "infants"}).status_code == 422  # once
    path = local_settings.local_lessons / f"infants-proposal-{item['id']}.md"
    draft = load_bank(local_settings, date.today())
    assert "Practice proposal" in path.read_text() and "anonymously" in path.read_text()
    # The untouched draft is a draft: lint says what is left to write, and nothing is sent
    assert not any(l.id == path.stem for l in draft.lessons if l.status.value == "published")
    complete(path)
    result = CliRunner().invoke(cli, ["lessons", "lint", str(path)], env={"LESSONLOOP_ENV": "test"})
    assert result.exit_code == 0, result.output
    with Session(voice_service.engine) as session:
        assert [e.action for e in session.exec(select(AuditEvent)) if e.action.startswith("proposal")] == ["proposal.accept"]
    # Nothing is said while the draft is unpublished; once the service loads it published, one email, once.
    assert asyncio.run(send_published_notices(voice_service, NOW)) == 0
    restarted = build_service(local_settings)
    before = set(local_settings.mail_dir.glob("mail-*.eml"))
    assert asyncio.run(send_published_notices(restarted, NOW)) == 1
    assert asyncio.run(send_published_notices(restarted, NOW)) == 0
    (mail,) = set(local_settings.mail_dir.glob("mail-*.eml")) - before
    message = message_from_bytes(mail.read_bytes(), policy=policy.default)
    assert message["To"] == "ann@example.org" and "Where does the baby sleep?" in message.get_body(("plain",)).get_content()
    restarted.engine.dispose()


def test_publish_after_holds_the_notice_back(voice_service, local_settings):
    propose(voice_service, "ann@example.org")
    lead = lead_client(voice_service, "admin@example.org", "admin")
    (item,) = lead.get("/dashboard/proposals.json").json()
    lead.post(f"/dashboard/proposals/{item['id']}/accept", data={"theme": "infants"})
    path = local_settings.local_lessons / f"infants-proposal-{item['id']}.md"
    complete(path)
    path.write_text(re.sub(r"# publish_after: (\S+).*", r"publish_after: \1", path.read_text()), encoding="utf-8")
    restarted = build_service(local_settings)
    assert asyncio.run(send_published_notices(restarted, NOW)) == 0  # embargoed: not published yet
    later = NOW.replace(year=NOW.year + 1)
    assert asyncio.run(send_published_notices(restarted, later)) == 1
    restarted.engine.dispose()


def test_cli_lists_the_queue_and_declines(voice_service, local_settings, monkeypatch):
    propose(voice_service, "ann@example.org", credit="yes")
    monkeypatch.setenv("LESSONLOOP_DATABASE_URL", local_settings.database_url)
    monkeypatch.setenv("LESSONLOOP_ENV", "test")
    listed = CliRunner().invoke(cli, ["lessons", "proposals", "--json"])
    assert listed.exit_code == 0, listed.output
    (row,) = json.loads(listed.stdout)
    assert row["credit"] == "Ann Hale" and row["status"] == "new" and "[date removed]" in row["what_happened"]
    assert CliRunner().invoke(cli, ["lessons", "decline-proposal", str(row["id"])]).exit_code == 0
    again = CliRunner().invoke(cli, ["lessons", "decline-proposal", str(row["id"])])
    assert again.exit_code == 2 and "already declined" in again.output
    missing = CliRunner().invoke(cli, ["lessons", "accept-proposal", "999", "--theme", "infants"])
    assert missing.exit_code == 2 and "LESSONLOOP_LOCAL_LESSONS is not set" in missing.output


def test_forgetting_a_proposer_keeps_the_proposal_without_them(voice_service):
    from schedules.models import Person
    from schedules.privacy import export_person, forget_person

    propose(voice_service, "ann@example.org", credit="yes")
    with Session(voice_service.engine) as session:
        ann = session.exec(select(Person).where(Person.email == "ann@example.org")).one()
        assert len(export_person(session, person=ann)["lesson_proposals"]) == 1
        forget_person(session, person=ann)
        session.commit()
        (kept,) = session.exec(select(LessonProposal)).all()
    assert kept.person_id is None and kept.credit_name is None and not kept.credit and "baby slept" in kept.what_happened


def test_long_text_is_counted_as_the_browser_counts_it_and_never_lost(voice_service):
    client = TestClient(create_app(voice_service))
    path = reply_path(voice_service, "ann@example.org")
    allowed = "\r\n".join(["We met the family"] * 110)  # 2,089 characters sent, 1,979 as the browser counts them
    saved = client.post(
        f"{path}/propose", data={"what_happened": allowed, "learned": "Ask who else lives there", "roles": ["social-worker"]}
    )
    assert saved.status_code == 200, saved.text[:300]
    too_long = "First line kept.\r\n" + "y" * 2100
    again = client.post(f"{path}/propose", data={"what_happened": too_long, "learned": "Something", "roles": ["social-worker"]})
    assert again.status_code == 422 and "the limit is 2000" in again.text and "y" * 2100 in again.text
    with Session(voice_service.engine) as session:
        assert len(session.exec(select(LessonProposal)).all()) == 1
