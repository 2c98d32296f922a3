"""App Home (own history, pause/resume, day and time) and the /lessonloop slash command."""

import json
from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from bot.core.agenda import current_agenda
from bot.web.app import create_app
from bot.core.clock import utcnow
from digests.slack_home import HELP_LINES
from schedules.models import Delivery, Person
from schedules.slots import week_key
from tests.bot.slack.helpers import (
    add_slack_people,
    block_action,
    eventually,
    post_command,
    post_event,
    post_interaction,
    send_week,
)


@pytest.fixture
def client(slack_service, slack_api):
    add_slack_people(slack_service, slack_api, 2)
    send_week(slack_service)
    with TestClient(create_app(slack_service)) as client:
        yield client


def person(service, email: str) -> Person:
    with Session(service.engine) as session:
        return session.exec(select(Person).where(Person.email == email)).one()


def published(api) -> list[dict]:
    return [c.params for c in api.ok_calls("views.publish")]


def home_action(user: str, action_id: str, **fields) -> dict:
    payload = block_action(user, action_id, "")
    payload["container"] = {"type": "view", "view_id": "V1"}
    payload["view"] = {"id": "V1", "type": "home"}
    payload["actions"][0] = {"action_id": action_id, "block_id": "home_controls", "action_ts": "1", **fields}
    return payload


def test_app_home_shows_only_my_own_lessons_and_replies(slack_service, slack_api, client):
    assert post_event(client, {"type": "app_home_opened", "user": "U0", "channel": "DU0", "tab": "home"}).status_code == 200
    assert eventually(lambda: published(slack_api))
    (home,) = published(slack_api)
    assert home["user_id"] == "U0" and home["view"]["type"] == "home"
    text = json.dumps(home["view"], ensure_ascii=False)
    with Session(slack_service.engine) as session:
        mine = session.exec(select(Delivery).where(Delivery.person_id == person(slack_service, "person0@example.org").id)).one()
    assert "Hello Person0" in text and slack_service.lessons[mine.lesson_id].title in text
    assert "Lessons you have had (1)" in text and "no answer yet" in text and "Next lesson" in text
    assert "Person1" not in text and "person1@" not in text


def test_pause_resume_and_change_day_and_time_from_home(slack_service, slack_api, client):
    assert (
        post_interaction(
            client,
            home_action(
                "U0",
                "home_pause",
                type="static_select",
                selected_option={"text": {"type": "plain_text", "text": "2 weeks"}, "value": "2"},
            ),
        ).status_code
        == 200
    )
    assert eventually(lambda: person(slack_service, "person0@example.org").status == "paused")
    paused = person(slack_service, "person0@example.org")
    assert (paused.paused_until - utcnow().date()).days == 14
    assert eventually(lambda: "paused" in json.dumps(published(slack_api)[-1:]))
    post_interaction(client, home_action("U0", "home_resume", type="button", value="resume"))
    assert eventually(lambda: person(slack_service, "person0@example.org").status == "active")
    post_interaction(
        client,
        home_action(
            "U0",
            "home_day",
            type="static_select",
            selected_option={"text": {"type": "plain_text", "text": "Friday"}, "value": "4"},
        ),
    )
    post_interaction(client, home_action("U0", "home_time", type="timepicker", selected_time="08:30"))
    assert eventually(
        lambda: (
            (person(slack_service, "person0@example.org").nudge_day, person(slack_service, "person0@example.org").nudge_time)
            == (4, "08:30")
        )
    )
    post_interaction(client, home_action("U0", "home_time", type="timepicker", selected_time="25:99"))
    assert eventually(lambda: len(published(slack_api)) == 5)
    assert person(slack_service, "person0@example.org").nudge_time == "08:30"  # refused, not half-applied
    other = person(slack_service, "person1@example.org")
    assert (other.status, other.nudge_day, other.nudge_time) == ("active", 1, "10:00")


def test_slash_command_agenda_and_help(slack_service, slack_api, client):
    assert post_command(client, slack_api, "U0", "agenda", n=1).status_code == 200
    assert post_command(client, slack_api, "U0", "help", n=2).status_code == 200
    assert post_command(client, slack_api, "U0", "dance", n=3).status_code == 200
    assert eventually(lambda: len(slack_api.responses) == 3)
    by_text = {r.get("text", ""): r for r in slack_api.responses}
    team_id = person(slack_service, "person0@example.org").team_id
    with Session(slack_service.engine) as session:
        item = current_agenda(slack_service, session, team_id=team_id, week=week_key(date.today()))
    agenda = next(r for t, r in by_text.items() if t.startswith("Team agenda"))
    assert item.title in agenda["text"] and item.title in json.dumps(agenda["blocks"], ensure_ascii=False)
    assert agenda["response_type"] == "ephemeral"
    assert "\n".join(HELP_LINES) in by_text and len("\n".join(HELP_LINES).splitlines()) == 3
    assert any("I don't know 'dance'" in t for t in by_text)


def test_someone_not_on_the_list_is_told_so(slack_service, slack_api, client):
    slack_api.add_user("stranger@example.org", "UX")
    post_command(client, slack_api, "UX", "agenda", n=1)
    post_event(client, {"type": "app_home_opened", "user": "UX", "channel": "DUX", "tab": "home"})
    assert eventually(lambda: slack_api.responses and published(slack_api))
    assert "not on the LessonLoop list" in slack_api.responses[0]["text"]
    assert "not on the LessonLoop list" in json.dumps(published(slack_api)[0]["view"])
