"""A reminder over Slack, through real slack_sdk/slack_bolt against the loopback Web API with signed
requests: posted in the DM the nudge used, its taps land on the nudge's reply, and the person's own
switches (the reminder's button, App Home) work."""

import json

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from bot.web.app import create_app
from schedules.models import Delivery, Person, Reply
from tests.bot.slack.helpers import (
    add_slack_people,
    block_action,
    eventually,
    post_event,
    post_interaction,
    send_week,
    view_submission,
)
from tests.conftest import utc
from tests.helpers import answer_directly

FRIDAY = utc(2026, 11, 27, 12)


def rows(service, kind: str) -> list[Delivery]:
    with Session(service.engine) as session:
        return list(session.exec(select(Delivery).where(Delivery.kind == kind).order_by(Delivery.id)))


def person0(service) -> Person:
    with Session(service.engine) as session:
        return session.exec(select(Person).where(Person.email == "person0@example.org")).one()


@pytest.fixture
def reminded(slack_service, slack_api):
    add_slack_people(slack_service, slack_api, 2)
    send_week(slack_service)
    stats = send_week(slack_service, FRIDAY)
    assert stats.sent == 2
    with TestClient(create_app(slack_service)) as client:
        yield client


def test_the_reminder_goes_to_the_same_dm_and_a_tap_answers_the_nudge(slack_service, slack_api, reminded):
    nudges, reminders = rows(slack_service, "nudge"), rows(slack_service, "reminder")
    assert len(nudges) == len(reminders) == 2
    nudge = next(n for n in nudges if n.person_id == person0(slack_service).id)
    reminder = next(r for r in reminders if r.parent_id == nudge.id)
    assert (reminder.channel, reminder.status) == ("slack", "sent")
    posts = [c.params for c in slack_api.ok_calls("chat.postMessage")]
    assert len(posts) == 4
    message = next(p for p in posts[2:] if p["channel"] == nudge.external_ref.split(":")[0])
    assert message["text"].startswith("Reminder: ")
    values = {e["action_id"]: e["value"] for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]}
    assert values["practice-changed"] == f"{nudge.id}:changed" and values["reminders_off"] == str(nudge.id)
    assert "only reminder" in json.dumps(message["blocks"])
    assert post_interaction(reminded, block_action("U0", "practice-not_yet", values["practice-not_yet"])).status_code == 200
    assert eventually(lambda: slack_api.ok_calls("chat.update"))
    with Session(slack_service.engine) as session:
        assert [(r.delivery_id, r.practice) for r in session.exec(select(Reply))] == [(nudge.id, "not_yet")]
    update = slack_api.ok_calls("chat.update")[0].params
    assert f"{update['channel']}:{update['ts']}" == nudge.external_ref  # the nudge's own message shows the answer
    # someone else pressing person0's reminder changes nothing
    post_interaction(reminded, block_action("U1", "practice-changed", values["practice-changed"]))
    with Session(slack_service.engine) as session:
        assert [r.practice for r in session.exec(select(Reply))] == ["not_yet"]


def test_no_more_reminders_from_the_message_and_back_on_from_app_home(slack_service, slack_api, reminded):
    nudge = next(n for n in rows(slack_service, "nudge") if n.person_id == person0(slack_service).id)
    assert post_interaction(reminded, block_action("U0", "reminders_off", str(nudge.id))).status_code == 200
    assert eventually(lambda: person0(slack_service).reminders is False)
    assert post_event(reminded, {"type": "app_home_opened", "user": "U0", "channel": "DU0", "tab": "home"}).status_code == 200
    assert eventually(lambda: slack_api.ok_calls("views.publish"))
    home = json.dumps(slack_api.ok_calls("views.publish")[-1].params["view"])
    assert "Reminders are off" in home and "Turn reminders on" in home
    view = slack_api.ok_calls("views.publish")[-1].params["view"]
    record = next(b["accessory"] for b in view["blocks"] if b.get("block_id") == "home_record")
    token = record["url"].rsplit("/me/", 1)[1]
    assert slack_service.signer.verify("record", token, utc(2026, 12, 1)).subject_id == person0(slack_service).id
    payload = block_action("U0", "home_reminders", "on")
    payload["container"] = {"type": "view", "view_id": "V1"}
    payload["view"] = {"id": "V1", "type": "home"}
    assert post_interaction(reminded, payload).status_code == 200
    assert eventually(lambda: person0(slack_service).reminders is True)
    assert eventually(lambda: "Reminders are on" in json.dumps(slack_api.ok_calls("views.publish")[-1].params["view"]))


def test_slack_not_configured_falls_back_to_email_with_the_reason(settings, slack_api):
    import asyncio

    from bot.compose import build_service
    from tests.bot.slack.helpers import slack_settings

    service = build_service(slack_settings(settings, slack_api))
    add_slack_people(service, slack_api, 1)
    send_week(service)
    asyncio.run(service.close())
    plain = build_service(settings)  # the organisation has since turned Slack off
    send_week(plain, FRIDAY)
    [reminder] = rows(plain, "reminder")
    assert (reminder.status, reminder.channel, reminder.fallback_reason) == ("sent", "email", "slack is not configured")
    eml = (settings.mail_dir / f"delivery-{reminder.id}.eml").read_text()
    assert "Subject: Reminder: " in eml
    asyncio.run(plain.close())


FOLLOW_UP_SLOT = utc(2026, 12, 29, 10)
CONCERN = "A girl told me today her stepdad hits her, should I report it? Family at SW1A 1AA"


def answers(service) -> list:
    from schedules.models import FollowUpAnswer

    with Session(service.engine) as session:
        return list(session.exec(select(FollowUpAnswer)))


def test_the_follow_up_in_slack_one_tap_then_what_got_in_the_way(slack_service, slack_api):
    from datetime import timedelta

    add_slack_people(slack_service, slack_api, 1)
    send_week(slack_service)
    [nudge] = rows(slack_service, "nudge")
    answer_directly(
        slack_service.engine, nudge, practice="changed", at=nudge.sent_at + timedelta(hours=1)
    )  # she answered "changed" an hour after the nudge
    assert send_week(slack_service, FOLLOW_UP_SLOT).sent == 1
    [followup] = rows(slack_service, "followup")
    assert (followup.channel, followup.status, followup.parent_id) == ("slack", "sent", nudge.id)
    message = slack_api.ok_calls("chat.postMessage")[-1].params
    lesson = slack_service.lessons[nudge.lesson_id]
    assert message["channel"] == "DU0" and message["text"] == f"Did you try it?: {lesson.title}"
    assert f"you read “{lesson.title}” and planned to try" in json.dumps(message["blocks"], ensure_ascii=False)
    values = {e["action_id"]: e["value"] for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]}
    assert set(values) == {"followup-helped", "followup-not_fit", "followup-not_yet", "followup-not_relevant", "followup_barrier"}
    with TestClient(create_app(slack_service)) as client:
        post_interaction(client, block_action("U1", "followup-helped", values["followup-helped"]))  # not hers: refused
        assert post_interaction(client, block_action("U0", "followup-not_fit", values["followup-not_fit"])).status_code == 200
        assert eventually(lambda: slack_api.ok_calls("chat.update"))
        assert [(a.delivery_id, a.outcome) for a in answers(slack_service)] == [(followup.id, "not_fit")]
        shown = json.dumps(slack_api.ok_calls("chat.update")[0].params["blocks"])
        assert "You said: I tried it and it did not fit" in shown and "followup-helped" not in shown
        post_interaction(client, block_action("U0", "followup_barrier", values["followup_barrier"]))
        assert eventually(lambda: slack_api.ok_calls("views.open"))
        view = slack_api.ok_calls("views.open")[0].params["view"]
        assert view["callback_id"] == "followup_barrier" and view["private_metadata"] == str(followup.id)
        submission = view_submission(view, {"barrier": {"text": {"type": "plain_text_input", "value": CONCERN}}})
        assert post_interaction(client, submission).status_code == 200
        assert eventually(lambda: [c for c in slack_api.ok_calls("chat.postMessage") if "999" in c.params.get("text", "")])
    [answer] = answers(slack_service)
    assert answer.outcome == "not_fit" and "[postcode removed]" in answer.barrier and "SW1A" not in answer.barrier
    with Session(slack_service.engine) as session:
        assert [r.practice for r in session.exec(select(Reply))] == ["changed"]  # the first answer stands
