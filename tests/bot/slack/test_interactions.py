"""Taps, the reflection modal and security: payloads shaped and signed as Slack sends them, posted to
the app's HTTP endpoint, handled by the real slack_bolt app."""

import json
import time

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from bot.web.app import create_app
from schedules.models import Delivery, Reply, SpacingCard
from tests.bot.slack.helpers import (
    add_slack_people,
    block_action,
    eventually,
    interaction_body,
    post_interaction,
    send_week,
    signed_headers,
    view_submission,
)


@pytest.fixture
def sent(slack_service, slack_api):
    """Two people each sent one nudge over Slack; yields (client, delivery for U0, its lesson)."""
    add_slack_people(slack_service, slack_api, 2)
    send_week(slack_service)
    with Session(slack_service.engine) as session:
        delivery = session.exec(select(Delivery).order_by(Delivery.id)).first()
    with TestClient(create_app(slack_service)) as client:
        yield client, delivery, slack_service.lessons[delivery.lesson_id]


def replies(service) -> list[Reply]:
    with Session(service.engine) as session:
        return list(session.exec(select(Reply)))


def cards(service) -> list[str]:
    with Session(service.engine) as session:
        return [c.card_json for c in session.exec(select(SpacingCard))]


def updates(api) -> list[dict]:
    return [c.params for c in api.ok_calls("chat.update")]


def test_a_check_tap_is_acked_recorded_and_the_message_shows_the_explanation(slack_service, slack_api, sent):
    client, delivery, lesson = sent
    wrong = next(n for n in range(1, len(lesson.check.options) + 1) if n != lesson.check.answer)
    started = time.monotonic()
    response = post_interaction(client, block_action("U0", f"check-{wrong}", f"{delivery.id}:{wrong}"))
    assert response.status_code == 200 and time.monotonic() - started < 3
    assert eventually(lambda: updates(slack_api))
    (reply,) = replies(slack_service)
    assert (reply.delivery_id, reply.check_answer, reply.check_correct, reply.rating) == (delivery.id, wrong, False, 1)
    (update,) = updates(slack_api)
    channel, ts = delivery.external_ref.split(":")
    assert (update["channel"], update["ts"]) == (channel, ts)
    shown = json.dumps(update["blocks"], ensure_ascii=False)
    assert "Not quite" in shown and lesson.check.explanation in shown and "check-1" not in shown
    assert "practice-changed" in shown  # the practice question is still open


def test_double_taps_and_slack_retries_record_once(slack_service, slack_api, sent):
    client, delivery, lesson = sent
    right = lesson.check.answer
    tap = block_action("U0", f"check-{right}", f"{delivery.id}:{right}")
    assert post_interaction(client, tap).status_code == 200
    assert eventually(lambda: len(updates(slack_api)) == 1)
    first_card = cards(slack_service)
    for headers in ({}, {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}, {"X-Slack-Retry-Num": "2"}):
        body = interaction_body(tap)
        response = client.post(
            "/slack/events",
            content=body,
            headers={"Content-Type": "application/x-www-form-urlencoded", **signed_headers(body), **headers},
        )
        assert response.status_code == 200
    assert eventually(lambda: len(updates(slack_api)) == 4)
    (reply,) = replies(slack_service)
    assert (reply.check_correct, reply.rating) == (True, 3)
    assert cards(slack_service) == first_card  # the spacing card was reviewed once
    post_interaction(client, block_action("U0", "practice-changed", f"{delivery.id}:changed"))
    post_interaction(client, block_action("U0", "practice-changed", f"{delivery.id}:changed"))
    assert eventually(lambda: len(updates(slack_api)) == 6)
    (reply,) = replies(slack_service)
    assert reply.practice == "changed"
    assert "You said: Yes, I changed something" in json.dumps(updates(slack_api)[-1]["blocks"])


def test_someone_else_cannot_answer_your_nudge(slack_service, slack_api, sent):
    client, delivery, lesson = sent
    assert post_interaction(client, block_action("U1", "check-1", f"{delivery.id}:1")).status_code == 200
    assert post_interaction(client, block_action("U0", "check-1", "not-a-value")).status_code == 200
    time.sleep(0.5)
    assert replies(slack_service) == [] and updates(slack_api) == []


def test_bad_signatures_and_stale_requests_are_refused(slack_service, slack_api, sent):
    client, delivery, lesson = sent
    body = interaction_body(block_action("U0", "check-1", f"{delivery.id}:1"))
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    forged = client.post("/slack/events", content=body, headers={**form, **signed_headers(body, secret="not-the-secret")})
    stale = client.post("/slack/events", content=body, headers={**form, **signed_headers(body, timestamp=int(time.time()) - 301)})
    unsigned = client.post("/slack/events", content=body, headers=form)
    assert [forged.status_code, stale.status_code, unsigned.status_code] == [401, 401, 401]
    time.sleep(0.3)
    assert replies(slack_service) == [] and updates(slack_api) == []


def test_add_a_reflection_opens_a_modal_and_saves_it(slack_service, slack_api, sent):
    client, delivery, lesson = sent
    assert post_interaction(client, block_action("U0", "reflect", str(delivery.id))).status_code == 200
    assert eventually(lambda: slack_api.ok_calls("views.open"))
    view = slack_api.ok_calls("views.open")[0].params["view"]
    assert view["callback_id"] == "reflection" and view["private_metadata"] == str(delivery.id)
    assert "do not include details that identify a child or family" in json.dumps(view)
    submission = view_submission(view, {"reflection": {"text": {"type": "plain_text_input", "value": "  "}}})
    empty = post_interaction(client, submission)
    assert empty.status_code == 200 and empty.json()["response_action"] == "errors" and "reflection" in empty.json()["errors"]
    submission["view"]["state"]["values"]["reflection"]["text"]["value"] = "I will see the child alone next visit."
    assert post_interaction(client, submission).status_code == 200
    assert eventually(lambda: replies(slack_service))
    (reply,) = replies(slack_service)
    assert reply.reflection == "I will see the child alone next visit." and reply.check_answer is None
    assert eventually(lambda: updates(slack_api))
    assert "Edit your reflection" in json.dumps(updates(slack_api)[0]["blocks"])


def test_a_reflection_with_identifying_details_is_stored_redacted_and_the_signpost_is_sent(slack_service, slack_api, sent):
    client, delivery, lesson = sent
    post_interaction(client, block_action("U0", "reflect", str(delivery.id)))
    assert eventually(lambda: slack_api.ok_calls("views.open"))
    view = slack_api.ok_calls("views.open")[0].params["view"]
    text = "Tyler at LS6 2AB told me today his stepdad hits him"
    submission = view_submission(
        view, {"reflection": {"text": {"type": "plain_text_input", "value": text}}}, view_id="V2", trigger_id="trig.3"
    )
    assert post_interaction(client, submission).status_code == 200
    assert eventually(lambda: replies(slack_service))
    (reply,) = replies(slack_service)
    assert reply.reflection == "[name removed] at [postcode removed] told me today his stepdad hits him"
    assert eventually(
        lambda: [c for c in slack_api.ok_calls("chat.postMessage") if "not a referral route" in c.params.get("text", "")]
    )
    notice = [c for c in slack_api.ok_calls("chat.postMessage") if "not a referral route" in c.params.get("text", "")][0]
    assert "a postcode, a name" in notice.params["text"] and "LS6 2AB" not in json.dumps([c.params for c in slack_api.calls])


def test_a_replayed_older_tap_does_not_overwrite_a_newer_answer(slack_service, slack_api, sent):
    client, delivery, lesson = sent
    wrong = next(n for n in range(1, len(lesson.check.options) + 1) if n != lesson.check.answer)
    older = block_action("U0", f"check-{wrong}", f"{delivery.id}:{wrong}")
    older["actions"][0]["action_ts"] = str(time.time() - 60)
    newer = block_action("U0", f"check-{lesson.check.answer}", f"{delivery.id}:{lesson.check.answer}")
    post_interaction(client, newer)
    assert eventually(lambda: len(updates(slack_api)) == 1)
    post_interaction(client, older)  # replayed a minute later, well inside Slack's 5-minute window
    assert eventually(lambda: len(updates(slack_api)) == 2)
    (reply,) = replies(slack_service)
    assert (reply.check_answer, reply.check_correct) == (lesson.check.answer, True)
