"""Reminders and follow-ups in Teams: cards valid against the Adaptive Cards 1.5 schema, sent to the
person's chat through the loopback Bot Connector, presses recorded through the one reply path."""
import json

from sqlmodel import Session, select

from bot.jobs.dispatcher import dispatch_due
from bot.jobs.planning import run_planning
from schedules.models import Delivery, Reply
from tests.bot.teams.test_bot import SCHEMA, card_of, install, people, press
from tests.conftest import utc

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
    assert (reminder.channel, reminder.status, reminder.parent_id) == ("teams", "sent", nudge.id)
    conversation, activity = microsoft.sent[1]
    card = card_of(activity)
    SCHEMA.validate(card)
    assert conversation == "a:conv-0" and "only reminder" in json.dumps(card)
    assert [a["title"] for a in card["actions"]] == ["Open in browser", "No more reminders"]
    practice = [b["data"] for b in buttons(card) if "practice" in b["data"]]
    assert service.signer.verify("reply", practice[0]["token"], FRIDAY).subject_id == nudge.id
    response = await press(teams, microsoft, practice[0])
    assert response.json()["statusCode"] == 200
    SCHEMA.validate(response.json()["value"])
    with Session(service.engine) as session:
        assert [(r.delivery_id, r.practice) for r in session.exec(select(Reply))] == [(nudge.id, "changed")]
