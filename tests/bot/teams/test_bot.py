"""The Teams bot end to end: installs, a week's nudges, button presses, refused tokens, pacing and
fallback, against loopback stand-ins for Entra ID, the Bot Framework key set and the connector."""

import json

import httpx
import pytest
from sqlmodel import Session, func, select

from bot.web.app import create_app
from bot.jobs.dispatcher import dispatch_due
from bot.jobs.planning import run_planning
from bot.teams.channel import NOT_INSTALLED, TeamsChannel
from bot.teams.routes import ENDPOINT
from schedules.models import Delivery, DeliveryAttempt, Person, Reply, SpacingCard
from tests.conftest import utc
from tests.helpers import add_people
from tests.bot.teams.fakes import (
    APP_ID,
    OPENID_URL,
    TENANT,
    TOKEN_URL,
    Microsoft,
    card_validator,
    install_activity,
    invoke_activity,
    new_key,
)

NOW = utc(2026, 11, 24, 12)  # a Tuesday, after everyone's 10:00 slot
SCHEMA = card_validator()


class Sleeps:
    def __init__(self):
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


@pytest.fixture
def microsoft():
    return Microsoft()


@pytest.fixture
def sleeps():
    return Sleeps()


@pytest.fixture
async def teams(service, microsoft, sleeps):
    settings = service.settings.model_copy(
        update={
            "teams_app_id": APP_ID,
            "teams_app_password": "app-password",
            "teams_tenant_id": TENANT,
            "teams_token_url": TOKEN_URL,
            "teams_openid_url": OPENID_URL,
        }
    )
    channel = TeamsChannel(settings, transport=microsoft.transport(), sleep=sleeps)
    service.channels["teams"] = channel
    app = create_app(service)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
        yield client
    await channel.close()


def people(service, count: int) -> list[str]:
    rows = [f"p{n}@example.org,Person {n},social-worker,North,Council,Europe/London,Tuesday,10:00" for n in range(count)]
    add_people(service.engine, rows)
    return [f"p{n}@example.org" for n in range(count)]


async def install(teams, microsoft, n: int, email: str) -> httpx.Response:
    microsoft.members[f"29:user-{n}"] = {"id": f"29:user-{n}", "email": email.upper(), "aadObjectId": f"aad-{n}"}
    activity = install_activity(f"29:user-{n}", f"aad-{n}", f"a:conv-{n}")
    return await teams.post(ENDPOINT, json=activity, headers={"Authorization": microsoft.bearer()})


def deliveries(service) -> list[Delivery]:
    with Session(service.engine) as session:
        return list(session.exec(select(Delivery).order_by(Delivery.id)))


def count(service, model) -> int:
    with Session(service.engine) as session:
        return session.exec(select(func.count()).select_from(model)).one()


def card_of(activity: dict) -> dict:
    return activity["attachments"][0]["content"]


async def test_a_week_of_nudges_to_30_people_goes_to_their_personal_chats(service, teams, microsoft):
    emails = people(service, 30)
    for n, email in enumerate(emails):
        assert (await install(teams, microsoft, n, email)).status_code == 200
    with Session(service.engine) as session:
        stored = {
            p.email: (p.channel, p.teams_user_id, json.loads(p.teams_conversation_json)["conversation_id"])
            for p in session.exec(select(Person))
        }
    assert stored["p7@example.org"] == ("teams", "aad-7", "a:conv-7")
    run_planning(service, NOW)
    stats = await dispatch_due(service, lambda: NOW)
    assert (stats.sent, stats.fell_back, stats.failed) == (30, 0, 0)
    assert sorted(conversation for conversation, _ in microsoft.sent) == sorted(f"a:conv-{n}" for n in range(30))
    for _, activity in microsoft.sent:
        SCHEMA.validate(card_of(activity))
    sent = deliveries(service)
    assert {d.channel for d in sent} == {"teams"} and all(d.external_ref.startswith("activity-") for d in sent)
    assert microsoft.tokens_issued == 1  # the app token is cached across the batch


async def press(teams, microsoft, data: dict, aad: str = "aad-0") -> httpx.Response:
    return await teams.post(ENDPOINT, json=invoke_activity(data, aad, "a:conv-0"), headers={"Authorization": microsoft.bearer()})


async def sent_card_data(service, teams, microsoft) -> dict:
    await install(teams, microsoft, 0, people(service, 1)[0])
    run_planning(service, NOW)
    await dispatch_due(service, lambda: NOW)
    card = card_of(microsoft.sent[0][1])
    buttons = [a for block in card["body"] if block["type"] == "ActionSet" for a in block["actions"]]
    return {
        "check": [b["data"] for b in buttons if "check" in b["data"]],
        "practice": [b["data"] for b in buttons if "practice" in b["data"]],
    }


async def test_a_button_press_is_recorded_once_under_replays_and_the_card_shows_the_answer(service, teams, microsoft):
    data = await sent_card_data(service, teams, microsoft)
    first_choice = data["check"][0]
    for _ in range(3):
        response = await press(teams, microsoft, first_choice)
        assert response.status_code == 200
        body = response.json()
        assert body["statusCode"] == 200 and body["type"] == "application/vnd.microsoft.card.adaptive"
    SCHEMA.validate(body["value"])
    with Session(service.engine) as session:
        reply = session.exec(select(Reply)).one()
        delivery = session.get(Delivery, reply.delivery_id)
    assert reply.check_answer == 1 and count(service, SpacingCard) == 1
    text = json.dumps(body["value"])
    assert "You answered" in text and '"check": 1' not in text  # the answer and explanation replace the buttons
    practice = await press(teams, microsoft, data["practice"][0] | {"reflection": "I now ask to see the child's room."})
    assert practice.json()["statusCode"] == 200
    with Session(service.engine) as session:
        reply = session.exec(select(Reply)).one()
    assert (reply.practice, reply.reflection, reply.delivery_id) == ("changed", "I now ask to see the child's room.", delivery.id)


async def test_action_submit_records_and_updates_the_sent_message(service, teams, microsoft):
    data = await sent_card_data(service, teams, microsoft)
    activity = invoke_activity({}, "aad-0", "a:conv-0", reply_to="activity-1") | {
        "type": "message",
        "name": None,
        "value": data["practice"][1],
    }
    response = await teams.post(ENDPOINT, json=activity, headers={"Authorization": microsoft.bearer()})
    assert response.status_code == 200
    assert count(service, Reply) == 1
    conversation, activity_id, update = microsoft.updated[0]
    assert (conversation, activity_id) == ("a:conv-0", "activity-1")
    SCHEMA.validate(card_of(update))
    assert "You said: I already do this" in json.dumps(card_of(update))


async def test_a_press_from_someone_else_or_with_a_bad_field_records_nothing(service, teams, microsoft):
    data = await sent_card_data(service, teams, microsoft)
    assert (await press(teams, microsoft, data["check"][0], aad="aad-intruder")).json()["statusCode"] == 400
    assert (await press(teams, microsoft, data["check"][0], aad=None)).json()["statusCode"] == 400  # sender not named
    bad = await press(teams, microsoft, data["check"][0] | {"check": "three"})
    assert bad.json()["statusCode"] == 400 and "'check'" in bad.json()["value"]["message"]
    forged = await press(teams, microsoft, data["check"][0] | {"token": data["check"][0]["token"][:-2] + "xx"})
    assert forged.json()["statusCode"] == 400
    assert count(service, Reply) == 0


@pytest.mark.parametrize("problem", ["forged", "expired", "audience", "issuer", "service_url", "missing", "unknown_kid"])
async def test_a_bad_token_gets_401_and_records_nothing(service, teams, microsoft, problem):
    data = await sent_card_data(service, teams, microsoft)
    bearer = {
        "forged": lambda: microsoft.bearer(key=new_key()),
        "expired": lambda: microsoft.bearer(expires_in=-600),
        "audience": lambda: microsoft.bearer(audience="someone-else"),
        "issuer": lambda: microsoft.bearer(issuer="https://evil.test"),
        "service_url": lambda: microsoft.bearer(service_url="https://evil.test/"),
        "missing": lambda: "",
        "unknown_kid": lambda: microsoft.bearer(key=new_key(), kid="other"),
    }[problem]()
    response = await teams.post(
        ENDPOINT, json=invoke_activity(data["check"][0], "aad-0", "a:conv-0"), headers={"Authorization": bearer}
    )
    assert response.status_code == 401
    assert count(service, Reply) == 0


async def test_an_install_with_a_bad_token_stores_nothing(service, teams, microsoft):
    people(service, 1)
    microsoft.members["29:user-0"] = {"email": "p0@example.org"}
    activity = install_activity("29:user-0", "aad-0", "a:conv-0")
    response = await teams.post(ENDPOINT, json=activity, headers={"Authorization": microsoft.bearer(key=new_key())})
    assert response.status_code == 401
    with Session(service.engine) as session:
        assert session.exec(select(Person)).one().teams_conversation_json is None


async def test_429_is_paced_by_retry_after_then_sent(service, teams, microsoft, sleeps):
    await install(teams, microsoft, 0, people(service, 1)[0])
    microsoft.throttle["a:conv-0"] = [429, 503]
    run_planning(service, NOW)
    stats = await dispatch_due(service, lambda: NOW)
    assert stats.sent == 1 and len(microsoft.sent) == 1
    assert sleeps.waits == [1.0, 1.0]  # the server's Retry-After, once per throttled answer


async def test_throttling_that_does_not_stop_is_retried_later_by_the_outbox(service, teams, microsoft, sleeps):
    await install(teams, microsoft, 0, people(service, 1)[0])
    microsoft.throttle["a:conv-0"] = [429] * 10
    run_planning(service, NOW)
    stats = await dispatch_due(service, lambda: NOW)
    assert (stats.sent, stats.retried) == (0, 1)
    assert deliveries(service)[0].status == "pending" and "429" in deliveries(service)[0].last_error


async def test_a_removed_app_or_deleted_conversation_falls_back_to_email_with_the_reason(service, teams, microsoft):
    emails = people(service, 3)
    await install(teams, microsoft, 0, emails[0])
    await install(teams, microsoft, 1, emails[1])
    await install(teams, microsoft, 2, emails[2])
    microsoft.refuse["a:conv-1"] = (403, "BotNotInConversationRoster")
    microsoft.refuse["a:conv-2"] = (404, "ConversationNotFound")
    removed = install_activity("29:user-0", "aad-0", "a:conv-0", action="remove")
    assert (await teams.post(ENDPOINT, json=removed, headers={"Authorization": microsoft.bearer()})).status_code == 200
    run_planning(service, NOW)
    stats = await dispatch_due(service, lambda: NOW)
    assert (stats.sent, stats.fell_back) == (3, 3)
    reasons = {d.person_id: d.fallback_reason for d in deliveries(service)}
    assert reasons[1] == f"teams: {NOT_INSTALLED}"
    assert "BotNotInConversationRoster" in reasons[2] and "ConversationNotFound" in reasons[3]
    assert {d.channel for d in deliveries(service)} == {"email"}
    assert len(list(service.settings.mail_dir.glob("*.eml"))) == 3
    with Session(service.engine) as session:
        assert (
            session.exec(select(func.count()).select_from(DeliveryAttempt).where(DeliveryAttempt.outcome == "fell_back")).one()
            == 3
        )


async def test_an_install_by_someone_not_on_the_roster_stores_nothing(service, teams, microsoft):
    people(service, 1)
    assert (await install(teams, microsoft, 5, "stranger@example.org")).status_code == 200
    with Session(service.engine) as session:
        assert session.exec(select(Person)).one().teams_conversation_json is None


async def test_a_typed_message_is_not_kept_and_the_sender_is_told_where_answers_go(service, teams, microsoft):
    await install(teams, microsoft, 0, people(service, 1)[0])
    typed = invoke_activity({}, "aad-0", "a:conv-0") | {
        "type": "message",
        "name": None,
        "value": None,
        "text": "A reflection about a family",
    }
    response = await teams.post(ENDPOINT, json=typed, headers={"Authorization": microsoft.bearer()})
    assert response.status_code == 200
    ((conversation, answer),) = microsoft.sent
    assert conversation == "a:conv-0" and "identify a child or family" in answer["text"]
    assert count(service, Reply) == 0


async def test_a_revoked_app_token_is_replaced_once_and_the_send_goes_through(service, teams, microsoft, sleeps):
    await install(teams, microsoft, 0, people(service, 1)[0])
    microsoft.tokens_issued += 1  # the stand-in now accepts only a token it has not handed out yet
    run_planning(service, NOW)
    assert (await dispatch_due(service, lambda: NOW)).sent == 1
    assert microsoft.tokens_issued == 3 and not any(sleeps.waits)  # retried at once with the fresh token


async def test_a_reflection_is_stored_redacted_and_the_card_shows_the_signpost(service, teams, microsoft):
    data = await sent_card_data(service, teams, microsoft)
    text = "Ms Okafor's son, NHS 943 476 5919, should I report this?"
    response = await press(teams, microsoft, data["practice"][0] | {"reflection": text})
    card = response.json()["value"]
    SCHEMA.validate(card)
    notice = card["body"][0]  # first, in an attention container of its own
    assert notice["type"] == "Container" and notice["style"] == "attention"
    assert "not a referral route" in notice["items"][0]["text"] and "an NHS number" in notice["items"][0]["text"]
    assert "943 476 5919" not in json.dumps(card)
    with Session(service.engine) as session:
        reply = session.exec(select(Reply)).one()
    assert reply.reflection == "[name removed]'s son, NHS [NHS number removed], should I report this?"


async def test_unknown_key_ids_do_not_turn_into_a_fetch_each(service, teams, microsoft):
    def key_fetches() -> int:
        return sum(1 for _, _, path in microsoft.calls if path.startswith("/botframework/"))

    activity = install_activity("29:user-0", "aad-0", "a:conv-0")
    assert (await teams.post(ENDPOINT, json=activity, headers={"Authorization": microsoft.bearer()})).status_code == 200
    loaded = key_fetches()  # the OpenID configuration and the key set, once
    for n in range(30):
        forged = microsoft.bearer(key=new_key(), kid=f"unknown-{n}")
        assert (await teams.post(ENDPOINT, json=activity, headers={"Authorization": forged})).status_code == 401
    assert key_fetches() == loaded  # within 5 minutes of the last fetch, an unknown kid fetches nothing


async def test_an_at_mention_in_a_team_channel_answers_with_the_teams_agenda_item(service, teams, microsoft):
    await install(teams, microsoft, 0, people(service, 1)[0])
    mention = invoke_activity({}, "aad-0", "19:general@thread.tacv2") | {
        "type": "message",
        "name": None,
        "value": None,
        "id": "msg-7",
        "text": "<at>LessonLoop</at> agenda",
        "conversation": {"id": "19:general@thread.tacv2", "conversationType": "channel", "tenantId": "tenant-1"},
        "entities": [{"type": "mention", "mentioned": {"id": "28:app", "name": "LessonLoop"}}],
    }
    response = await teams.post(ENDPOINT, json=mention, headers={"Authorization": microsoft.bearer()})
    assert response.status_code == 200
    ((conversation, answer),) = microsoft.sent
    assert conversation == "19:general@thread.tacv2" and answer["replyToId"] == "msg-7"
    card = answer["attachments"][0]["content"]
    SCHEMA.validate(card)
    assert card["version"] == "1.4" and card["body"][0]["text"].startswith("Team meeting item for North · week of ")
    stranger = mention | {"from": {"id": "29:x", "aadObjectId": "aad-unknown"}, "id": "msg-8"}
    assert (await teams.post(ENDPOINT, json=stranger, headers={"Authorization": microsoft.bearer()})).status_code == 200
    assert "LessonLoop list" in microsoft.sent[-1][1]["text"]
    assert count(service, Reply) == 0
