"""An impact question (issue 17) over Slack, through real slack_sdk/slack_bolt against the loopback Web API
with signed requests: posted in the person's DM three months after their answer, the five-point scale as
buttons, a tap and the optional line saved through the one reply path, a repeat tap updating."""

import json
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from bot.web.app import create_app
from schedules.models import Delivery, FollowUpAnswer, Reply
from tests.bot.slack.helpers import add_slack_people, block_action, eventually, post_interaction, send_week, view_submission
from tests.conftest import utc
from tests.helpers import answer_directly

IMPACT_SLOT = utc(2027, 3, 2, 10)
CONCERN = "A girl told me today her stepdad hits her, should I report it? Family at SW1A 1AA"


@pytest.fixture
def settings(settings):
    return settings.model_copy(update={"impact_sample": 1.0})


def rows(service, kind: str) -> list[Delivery]:
    with Session(service.engine) as session:
        return list(session.exec(select(Delivery).where(Delivery.kind == kind).order_by(Delivery.id)))


def answers(service) -> list[FollowUpAnswer]:
    with Session(service.engine) as session:
        return list(session.exec(select(FollowUpAnswer)))


def test_the_impact_question_in_slack_one_tap_a_changed_tap_then_a_line(slack_service, slack_api):
    add_slack_people(slack_service, slack_api, 1)
    send_week(slack_service)
    [nudge] = rows(slack_service, "nudge")
    answer_directly(
        slack_service.engine, nudge, practice="already", at=nudge.sent_at + timedelta(hours=1)
    )  # she answered an hour after the nudge
    assert send_week(slack_service, IMPACT_SLOT).sent == 1
    [impact] = rows(slack_service, "impact")
    assert (impact.channel, impact.status, impact.parent_id, impact.months) == ("slack", "sent", nudge.id, 3)
    message = slack_api.ok_calls("chat.postMessage")[-1].params
    lesson = slack_service.lessons[nudge.lesson_id]
    assert message["channel"] == "DU0" and message["text"] == f"Has it made a difference?: {lesson.title}"
    assert f"Has “{lesson.title}” made a difference to your practice?" in json.dumps(message["blocks"], ensure_ascii=False)
    values = {e["action_id"]: e["value"] for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]}
    assert set(values) == {
        "followup-a_lot",
        "followup-a_little",
        "followup-not_sure",
        "followup-not_much",
        "followup-not_at_all",
        "followup_barrier",
    }
    with TestClient(create_app(slack_service)) as client:
        post_interaction(client, block_action("U1", "followup-a_lot", values["followup-a_lot"]))  # not hers: refused
        assert post_interaction(client, block_action("U0", "followup-a_lot", values["followup-a_lot"])).status_code == 200
        assert eventually(lambda: slack_api.ok_calls("chat.update"))
        assert [(a.delivery_id, a.outcome) for a in answers(slack_service)] == [(impact.id, "a_lot")]
        shown = json.dumps(slack_api.ok_calls("chat.update")[0].params["blocks"])
        assert "You said: A lot" in shown and "followup-a_little" not in shown
        # an old message's button pressed again, with another answer: the one answer is updated
        post_interaction(client, block_action("U0", "followup-not_sure", values["followup-not_sure"]))
        assert eventually(lambda: len(slack_api.ok_calls("chat.update")) == 2)
        assert [(a.delivery_id, a.outcome) for a in answers(slack_service)] == [(impact.id, "not_sure")]
        post_interaction(client, block_action("U0", "followup_barrier", values["followup_barrier"]))
        assert eventually(lambda: slack_api.ok_calls("views.open"))
        view = slack_api.ok_calls("views.open")[0].params["view"]
        assert view["private_metadata"] == str(impact.id) and "Anything to add?" in json.dumps(view)
        submission = view_submission(view, {"barrier": {"text": {"type": "plain_text_input", "value": CONCERN}}})
        assert post_interaction(client, submission).status_code == 200
        assert eventually(lambda: [c for c in slack_api.ok_calls("chat.postMessage") if "999" in c.params.get("text", "")])
    [answer] = answers(slack_service)
    assert (
        answer.outcome == "not_sure" and "[postcode removed]" in (answer.barrier or "") and "SW1A" not in (answer.barrier or "")
    )
    with Session(slack_service.engine) as session:
        assert [r.practice for r in session.exec(select(Reply))] == ["already"]  # the first answer stands
