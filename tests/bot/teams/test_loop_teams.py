"""Reminders and follow-ups in Teams: cards valid against the Adaptive Cards 1.5 schema, sent to the
person's chat through the loopback Bot Connector, presses recorded through the one reply path."""

import json

from sqlmodel import Session, select

from bot.jobs.dispatcher import dispatch_due
from bot.jobs.planning import run_planning
from schedules.models import Delivery, Reply
from tests.bot.teams.test_bot import SCHEMA, card_of, install, people, press
from tests.conftest import utc
from tests.helpers import answer_directly

NOW = utc(2026, 11, 24, 12)
FRIDAY = utc(2026, 11, 27, 12)


def kind(service, name: str) -> list[Delivery]:
    with Session(service.engine) as session:
        return list(session.exec(select(Delivery).where(Delivery.kind == name).order_by(Delivery.id)))


def buttons(card: dict) -> list[dict]:
    return [a for block in card["body"] if block["type"] == "ActionSet" for a in block["actions"]]


async def test_a_reminder_card_is_valid_and_its_press_answers_the_nudge(service, teams, microsoft):
    await install(teams, microsoft, 0, people(service, 1)[0])
    run_planning(service, NOW)
    await dispatch_due(service, lambda: NOW)
    run_planning(service, FRIDAY)
    stats = await dispatch_due(service, lambda: FRIDAY)
    assert stats.sent == 1 and len(microsoft.sent) == 2
    [nudge], [reminder] = kind(service, "nudge"), kind(service, "reminder")
    nudge_card = card_of(microsoft.sent[0][1])
    SCHEMA.validate(nudge_card)
    record = next(a for a in nudge_card["actions"] if a["title"] == "My learning record")
    assert service.signer.verify("record", record["url"].rsplit("/me/", 1)[1], NOW).subject_id == nudge.person_id
    assert (reminder.channel, reminder.status, reminder.parent_id) == ("teams", "sent", nudge.id)
    conversation, activity = microsoft.sent[1]
    card = card_of(activity)
    SCHEMA.validate(card)
    assert conversation == "a:conv-0" and "only reminder" in json.dumps(card)
    assert [a["title"] for a in card["actions"]] == ["Open in browser", "No more reminders", "My learning record"]
    practice = [b["data"] for b in buttons(card) if "practice" in b["data"]]
    assert service.signer.verify("reply", practice[0]["token"], FRIDAY).subject_id == nudge.id
    response = await press(teams, microsoft, practice[0])
    assert response.json()["statusCode"] == 200
    SCHEMA.validate(response.json()["value"])
    with Session(service.engine) as session:
        assert [(r.delivery_id, r.practice) for r in session.exec(select(Reply))] == [(nudge.id, "changed")]


async def test_a_follow_up_card_is_valid_and_its_answers_are_recorded_apart_and_redacted(service, teams, microsoft):
    from datetime import timedelta

    from schedules.models import FollowUpAnswer

    await install(teams, microsoft, 0, people(service, 1)[0])
    run_planning(service, NOW)
    await dispatch_due(service, lambda: NOW)
    [nudge] = kind(service, "nudge")
    answer_directly(service.engine, nudge, practice="not_yet", at=NOW + timedelta(hours=1))
    slot = utc(2026, 12, 29, 10)
    run_planning(service, slot)
    assert (await dispatch_due(service, lambda: slot)).sent == 1
    [followup] = kind(service, "followup")
    card = card_of(microsoft.sent[-1][1])
    SCHEMA.validate(card)
    assert "Did you?" in json.dumps(card, ensure_ascii=False) and followup.channel == "teams"
    outcome = next(b["data"] for b in buttons(card) if b["data"].get("outcome") == "helped")
    assert outcome["lessonloop"] == "followup"
    assert service.signer.verify("followup", outcome["token"], slot).subject_id == followup.id
    response = await press(teams, microsoft, outcome)
    body = response.json()
    assert body["statusCode"] == 200
    SCHEMA.validate(body["value"])
    assert "You said: I tried it and it helped" in json.dumps(body["value"])
    save = next(b["data"] for b in buttons(body["value"]) if b["data"].get("save") == "barrier")
    concern = "A girl told me today her stepdad hits her, should I report it? Family at SW1A 1AA"
    response = await press(teams, microsoft, save | {"barrier": concern})
    text = json.dumps(response.json()["value"])
    assert "999" in text and "a postcode" in text
    assert (await press(teams, microsoft, outcome, aad="aad-someone-else")).json()["statusCode"] == 400
    assert (await press(teams, microsoft, outcome | {"outcome": "maybe"})).json()["statusCode"] == 400
    with Session(service.engine) as session:
        [answer] = session.exec(select(FollowUpAnswer)).all()
        assert (answer.delivery_id, answer.outcome) == (followup.id, "helped")
        assert "[postcode removed]" in answer.barrier and "SW1A" not in answer.barrier
        assert [r.practice for r in session.exec(select(Reply))] == ["not_yet"]
