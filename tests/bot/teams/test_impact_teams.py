"""An impact question (issue 17) in Teams: the card valid against the Adaptive Cards 1.5 schema, sent to the
person's chat through the loopback Bot Connector, presses recorded through the one reply path."""

import json
from datetime import datetime, timedelta, timezone

import pytest
from sqlmodel import Session, select

from bot.jobs.dispatcher import dispatch_due
from bot.jobs.planning import run_planning
from schedules.models import Delivery, FollowUpAnswer, Reply
from tests.bot.teams.test_bot import SCHEMA, card_of, install, people, press
from tests.conftest import utc
from tests.helpers import answer_directly

NOW = utc(2026, 11, 24, 12)
IMPACT_SLOT = utc(2027, 3, 2, 10)


@pytest.fixture
def settings(settings):
    return settings.model_copy(update={"impact_sample": 1.0})


def kind(service, name: str) -> list[Delivery]:
    with Session(service.engine) as session:
        return list(session.exec(select(Delivery).where(Delivery.kind == name).order_by(Delivery.id)))


def buttons(card: dict) -> list[dict]:
    return [a for block in card["body"] if block["type"] == "ActionSet" for a in block["actions"]]


async def test_an_impact_card_is_valid_and_its_presses_are_recorded(service, teams, microsoft):
    await install(teams, microsoft, 0, people(service, 1)[0])
    run_planning(service, NOW)
    await dispatch_due(service, lambda: NOW)
    [nudge] = kind(service, "nudge")
    answer_directly(service.engine, nudge, practice="already", at=NOW + timedelta(hours=1))
    run_planning(service, IMPACT_SLOT)
    assert (await dispatch_due(service, lambda: IMPACT_SLOT)).sent == 1
    [impact] = kind(service, "impact")
    card = card_of(microsoft.sent[-1][1])
    SCHEMA.validate(card)
    lesson = service.lessons[nudge.lesson_id]
    assert f"Has “{lesson.title}” made a difference to your practice?" in json.dumps(card, ensure_ascii=False)
    assert [b["title"] for b in buttons(card) if "outcome" in b["data"]] == [
        "A lot",
        "A little",
        "Not sure",
        "Not much",
        "Not at all",
    ]
    assert impact.channel == "teams"
    outcome = next(b["data"] for b in buttons(card) if b["data"].get("outcome") == "a_little")
    assert service.signer.verify("followup", outcome["token"], datetime.now(timezone.utc)).subject_id == impact.id  # signed now
    response = await press(teams, microsoft, outcome)
    body = response.json()
    assert body["statusCode"] == 200
    SCHEMA.validate(body["value"])
    assert "You said: A little" in json.dumps(body["value"])
    save = next(b["data"] for b in buttons(body["value"]) if b["data"].get("save") == "barrier")
    response = await press(teams, microsoft, save | {"barrier": "I ask about the lodger now. Family at SW1A 1AA"})
    assert "a postcode" in json.dumps(response.json()["value"])
    assert (await press(teams, microsoft, outcome, aad="aad-someone-else")).json()["statusCode"] == 400
    assert (await press(teams, microsoft, outcome | {"outcome": "helped"})).json()["statusCode"] == 400  # not on this scale
    with Session(service.engine) as session:
        [answer] = session.exec(select(FollowUpAnswer)).all()
        assert (answer.delivery_id, answer.outcome) == (impact.id, "a_little")
        assert "[postcode removed]" in (answer.barrier or "") and "SW1A" not in (answer.barrier or "")
        assert [r.practice for r in session.exec(select(Reply))] == ["already"]
