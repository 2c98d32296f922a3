"""Frontline voice in Slack: App Home buttons open the modals; a submission is checked like a reflection,
saved through the one voice path, and answered with a DM (thanks, what was taken out, the signpost)."""

import json
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from bot.web.app import create_app
from schedules.voice_models import LessonProposal, PracticeMoment
from tests.bot.slack.helpers import (
    add_slack_people,
    block_action,
    eventually,
    post_event,
    post_interaction,
    send_week,
    view_submission,
)


@pytest.fixture
def client(slack_service, slack_api):
    add_slack_people(slack_service, slack_api, 1)
    send_week(slack_service)
    with TestClient(create_app(slack_service)) as client:
        yield client


def open_modal(client, slack_api, action_id: str) -> dict:
    payload = block_action("U0", action_id, action_id.removeprefix("voice_"))
    payload["container"], payload["view"] = {"type": "view", "view_id": "V1"}, {"id": "V1", "type": "home"}
    before = len(slack_api.ok_calls("views.open"))
    assert post_interaction(client, payload).status_code == 200
    assert eventually(lambda: len(slack_api.ok_calls("views.open")) > before)
    return slack_api.ok_calls("views.open")[-1].params["view"]


def submit(client, view: dict, values: dict):
    return post_interaction(client, view_submission(view, values, view_id="V9"))


def text(value: str) -> dict:
    return {"text": {"type": "plain_text_input", "value": value}}


def rows(service, table):
    with Session(service.engine) as session:
        return session.exec(select(table)).all()


def dms(slack_api) -> list[str]:
    return [c.params.get("text", "") for c in slack_api.ok_calls("chat.postMessage") if c.params.get("channel") == "U0"]


def test_home_offers_both_and_a_proposal_is_saved_redacted(slack_service, slack_api, client):
    post_event(client, {"type": "app_home_opened", "user": "U0", "channel": "DU0", "tab": "home"})
    assert eventually(lambda: slack_api.ok_calls("views.publish"))
    home = json.dumps(slack_api.ok_calls("views.publish")[0].params["view"])
    assert "voice_propose" in home and "voice_moment" in home
    view = open_modal(client, slack_api, "voice_propose")
    assert view["callback_id"] == "voice_proposal" and "identify a child" in json.dumps(view)
    empty = submit(client, view, {"what_happened": text("Something happened"), "learned": text("  ")})
    assert empty.json()["response_action"] == "errors" and "learned" in empty.json()["errors"]
    assert rows(slack_service, LessonProposal) == []
    values = {
        "what_happened": text("Tyler at LS6 2AB was not seen alone."),
        "learned": text("See the child alone."),
        "roles": {"roles": {"type": "multi_static_select", "selected_options": [{"value": "teacher"}]}},
        "credit": {"credit": {"type": "checkboxes", "selected_options": [{"value": "yes"}]}},
    }
    assert submit(client, view, values).status_code == 200
    assert eventually(lambda: rows(slack_service, LessonProposal))
    (saved,) = rows(slack_service, LessonProposal)
    assert saved.what_happened == "[name removed] at [postcode removed] was not seen alone."
    assert saved.roles == "teacher" and saved.credit and saved.credit_name == "Person0 Test"
    assert eventually(lambda: dms(slack_api))
    assert "a postcode, a name" in dms(slack_api)[0] and "safeguarding leads for review" in dms(slack_api)[0]


def test_a_practice_moment_is_anonymous_and_thanked(slack_service, slack_api, client):
    view = open_modal(client, slack_api, "voice_moment")
    assert view["callback_id"] == "voice_moment" and "never used to judge" in json.dumps(view)
    bad = submit(
        client,
        view,
        {
            "outcome": {"outcome": {"type": "radio_buttons", "selected_option": None}},
            "what_happened": text("A handover nearly missed a visit."),
        },
    )
    assert bad.json()["response_action"] == "errors" and "outcome" in bad.json()["errors"]
    values = {
        "outcome": {"outcome": {"type": "radio_buttons", "selected_option": {"value": "near_miss"}}},
        "what_happened": text("A handover nearly missed a visit."),
        "what_helped": text("A shared list."),
        "factors": {"factors": {"type": "checkboxes", "selected_options": [{"value": "handover"}, {"value": "workload"}]}},
    }
    assert submit(client, view, values).status_code == 200
    assert eventually(lambda: rows(slack_service, PracticeMoment))
    (moment,) = rows(slack_service, PracticeMoment)
    assert moment.factors == "handover,workload" and moment.outcome == "near_miss" and moment.role == "social-worker"
    assert "person" not in json.dumps(moment.model_dump(mode="json")).lower()  # no person id, name or email kept
    assert eventually(lambda: dms(slack_api)) and "never used to judge anyone" in dms(slack_api)[0]


def test_a_said_did_note_rides_in_the_next_nudge_once(slack_service, slack_api):
    from bot.core.clock import utcnow
    from schedules.said_did import add_note
    from tests.bot.slack.helpers import NOW

    add_slack_people(slack_service, slack_api, 1)
    with Session(slack_service.engine) as session:
        add_note(
            session,
            about_kind="factor",
            about="workload",
            audience_kind="role",
            audience="social-worker",
            text="We cut the weekly report to one page.",
            author="lead@example.org",
            scope_agency=None,
            now=utcnow(),
        )
    send_week(slack_service)
    (first,) = slack_api.ok_calls("chat.postMessage")
    said = [b for b in first.params["blocks"] if b.get("block_id") == "said_did"]
    assert said and "We cut the weekly report to one page." in said[0]["text"]["text"]
    send_week(slack_service, NOW + timedelta(days=7))
    second = slack_api.ok_calls("chat.postMessage")[-1]
    assert second is not first and "We cut the weekly report" not in json.dumps(second.params["blocks"])
