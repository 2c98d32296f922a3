"""Frontline voice in Teams: typing "propose" or "moment" brings a valid form card; its Action.Execute is saved
through the one voice path (redacted, signposted) and the form is replaced in place; a bad form comes back
with what was typed."""

import json

import httpx
import pytest
from sqlmodel import Session, select

from bot.teams.channel import TeamsChannel
from bot.teams.routes import ENDPOINT
from bot.web.app import create_app
from digests.voice_cards import VOICE_VERB
from schedules.voice_models import LessonProposal, PracticeMoment
from tests.bot.teams.fakes import (
    APP_ID,
    OPENID_URL,
    TENANT,
    TOKEN_URL,
    Microsoft,
    card_validator,
    install_activity,
    invoke_activity,
)
from tests.helpers import add_people

SCHEMA = card_validator()


@pytest.fixture
async def teams(service):
    microsoft = Microsoft()
    settings = service.settings.model_copy(
        update={
            "teams_app_id": APP_ID,
            "teams_app_password": "app-password",
            "teams_tenant_id": TENANT,
            "teams_token_url": TOKEN_URL,
            "teams_openid_url": OPENID_URL,
        }
    )
    channel = TeamsChannel(settings, transport=microsoft.transport())
    service.channels["teams"] = channel
    add_people(service.engine, ["p0@example.org,Pat Jones,health-visitor,North,Council,Europe/London,Tuesday,10:00"])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(service)), base_url="http://testserver") as client:
        microsoft.members["29:user-0"] = {"id": "29:user-0", "email": "P0@EXAMPLE.ORG", "aadObjectId": "aad-0"}
        installed = await client.post(
            ENDPOINT, json=install_activity("29:user-0", "aad-0", "a:conv-0"), headers={"Authorization": microsoft.bearer()}
        )
        assert installed.status_code == 200
        yield client, microsoft
    await channel.close()


async def typed(client, microsoft, text: str) -> dict:
    activity = invoke_activity({}, "aad-0", "a:conv-0") | {"type": "message", "name": None, "value": None, "text": text}
    before = len(microsoft.sent)
    assert (await client.post(ENDPOINT, json=activity, headers={"Authorization": microsoft.bearer()})).status_code == 200
    (sent,) = microsoft.sent[before:]
    return sent[1]


async def press(client, microsoft, data: dict, who: str = "aad-0") -> dict:
    activity = invoke_activity(data, who, "a:conv-0")
    activity["value"]["action"]["verb"] = VOICE_VERB
    response = await client.post(ENDPOINT, json=activity, headers={"Authorization": microsoft.bearer()})
    assert response.status_code == 200 and response.json()["statusCode"] == 200
    card = response.json()["value"]
    assert not list(SCHEMA.iter_errors(card))
    return card


def rows(service, table):
    with Session(service.engine) as session:
        return session.exec(select(table)).all()


async def test_propose_brings_a_valid_form_and_saves_redacted(service, teams):
    client, microsoft = teams
    form = (await typed(client, microsoft, "Propose"))["attachments"][0]["content"]
    assert not list(SCHEMA.iter_errors(form)) and form["actions"][0]["verb"] == VOICE_VERB
    assert "identify a child" in json.dumps(form)
    bad = await press(
        client, microsoft, {"lessonloop": "propose", "what_happened": "Mrs Patel missed the booking visit", "learned": ""}
    )
    assert "field 'learned' is empty" in json.dumps(bad) and "Mrs Patel missed the booking visit" in json.dumps(bad)
    assert rows(service, LessonProposal) == []
    done = await press(
        client,
        microsoft,
        {
            "lessonloop": "propose",
            "what_happened": "Mrs Patel missed the booking visit",
            "learned": "Follow up a missed booking the same week.",
            "roles": "midwife,gp",
            "credit": "false",
        },
    )
    assert "safeguarding leads for review" in json.dumps(done) and "a name" in json.dumps(done)
    (saved,) = rows(service, LessonProposal)
    assert "Patel" not in saved.what_happened and saved.roles == "midwife,gp" and not saved.credit and saved.agency == "Council"


async def test_moment_form_and_anonymous_save(service, teams):
    client, microsoft = teams
    form = (await typed(client, microsoft, "moment"))["attachments"][0]["content"]
    assert "never used to judge" in json.dumps(form)
    done = await press(
        client,
        microsoft,
        {
            "lessonloop": "moment",
            "outcome": "went_well",
            "what_happened": "A clear handover saved a visit.",
            "factors": "handover,communication",
        },
    )
    assert "never used to judge anyone" in json.dumps(done)
    (moment,) = rows(service, PracticeMoment)
    assert moment.factors == "handover,communication" and moment.role == "health-visitor"
    stranger = await press(client, microsoft, {"lessonloop": "moment", "outcome": "went_well", "what_happened": "x"}, who="aad-9")
    assert "not on the LessonLoop list" in json.dumps(stranger) and len(rows(service, PracticeMoment)) == 1


async def test_other_typed_text_is_still_not_kept_and_names_the_commands(service, teams):
    client, microsoft = teams
    answer = await typed(client, microsoft, "A reflection about a family")
    assert "does not keep messages" in answer["text"] and '"propose"' in answer["text"]
    assert rows(service, LessonProposal) == [] and rows(service, PracticeMoment) == []


async def test_a_said_did_note_rides_in_the_nudge_card(service, teams):
    from bot.core.clock import utcnow
    from bot.jobs.dispatcher import dispatch_due
    from bot.jobs.planning import run_planning
    from schedules.models import Person
    from schedules.said_did import add_note
    from tests.conftest import utc

    client, microsoft = teams
    with Session(service.engine) as session:
        person = session.exec(select(Person)).one()
        person.channel = "teams"
        session.add(person)
        session.commit()
        add_note(
            session,
            about_kind="barrier",
            about="infants",
            audience_kind="agency",
            audience="Council",
            text="Safe-sleep checks are now on the visit form.",
            author="lead@example.org",
            scope_agency=None,
            now=utcnow(),
        )
    now = utc(2026, 11, 24, 12)
    run_planning(service, now)
    assert (await dispatch_due(service, lambda: now)).sent == 1
    card = microsoft.sent[-1][1]["attachments"][0]["content"]
    assert not list(SCHEMA.iter_errors(card)) and "Safe-sleep checks are now on the visit form." in json.dumps(card)
