"""Agenda items and theme posts to a team's Workflows webhook, against a loopback stand-in."""

import json
from urllib.parse import parse_qs, urlparse

import httpx
import pytest

from bot.core.agenda import agenda_team
from sqlmodel import Session, select

from bot.web.app import create_app
from bot.core.clock import utcnow
from bot.teams.webhook import post_team_channels
from schedules.models import ChannelPost, Team
from tests.conftest import utc
from tests.helpers import add_people
from tests.bot.teams.fakes import Microsoft, card_validator

TUESDAY_NOON = utc(2026, 11, 24, 12)  # week 2026-W48; a Wednesday meeting's item is due from Tuesday 08:00
MONDAY_NOON = utc(2026, 11, 23, 12)
HOOK = "https://webhooks.test/workflows/north"


class Sleeps(list):
    async def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def microsoft():
    return Microsoft()


def team_with_hook(service, url: str = HOOK, theme_posts: bool = False) -> int:
    add_people(service.engine, ["ann@example.org,Ann,social-worker,North,Council,Europe/London,Tuesday,10:00"])
    with Session(service.engine) as session:
        team = session.exec(select(Team)).one()
        team.webhook_url, team.theme_posts = url, theme_posts
        session.add(team)
        session.commit()
        return team.id


def posted_cards(microsoft) -> list[dict]:
    return [body["attachments"][0]["content"] for _, body in microsoft.webhook_posts]


def open_urls(card: dict) -> list[str]:
    return [action["url"] for action in card.get("actions", []) if action["type"] == "Action.OpenUrl"]


async def test_agenda_post_has_signed_links_to_the_agenda_page(service, microsoft):
    team_id = team_with_hook(service)
    counts = await post_team_channels(service, TUESDAY_NOON, transport=microsoft.transport())
    assert counts == {"sent": 1}
    ((url, body),) = microsoft.webhook_posts
    assert url == HOOK and body["type"] == "message"
    assert body["attachments"][0]["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = posted_cards(microsoft)[0]
    card_validator().validate(card)
    assert all(a["type"] == "Action.OpenUrl" for a in card["actions"])  # Workflows cannot submit
    for link in open_urls(card):
        parsed = urlparse(link)
        assert link.startswith("http://testserver/a/") and parse_qs(parsed.query)["week"] == ["2026-W48"]
        token = parsed.path.removeprefix("/a/")
        assert agenda_team(service, token, "2026-W48", utcnow()) == team_id
        with pytest.raises(ValueError):
            agenda_team(service, token, "2026-W47", utcnow())  # the week is signed too
        with pytest.raises(ValueError):
            service.signer.verify("reply", token, utcnow())  # an agenda link is no reply link


async def test_agenda_links_open_the_agenda_page(service, microsoft):
    team_with_hook(service)
    await post_team_channels(service, TUESDAY_NOON, transport=microsoft.transport())
    app = create_app(service)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
        response = await client.get(open_urls(posted_cards(microsoft)[0])[0])
    assert response.status_code == 200


async def test_each_post_goes_once_per_week_and_not_before_it_is_due(service, microsoft):
    team_with_hook(service, theme_posts=True)
    assert await post_team_channels(service, utc(2026, 11, 23, 7), transport=microsoft.transport()) == {}  # Monday 07:00 London
    assert await post_team_channels(service, MONDAY_NOON, transport=microsoft.transport()) == {"sent": 1}  # the theme
    assert "This week's theme" in json.dumps(posted_cards(microsoft)[0])
    assert await post_team_channels(service, TUESDAY_NOON, transport=microsoft.transport()) == {"sent": 1, "skipped": 1}
    assert await post_team_channels(service, TUESDAY_NOON, transport=microsoft.transport()) == {"skipped": 2}
    assert len(microsoft.webhook_posts) == 2
    for card in posted_cards(microsoft):
        card_validator().validate(card)


async def test_throttled_webhook_is_paced_then_posted(service, microsoft):
    team_with_hook(service)
    microsoft.webhook_throttle[:] = [429, 502]
    sleeps = Sleeps()
    assert await post_team_channels(service, TUESDAY_NOON, transport=microsoft.transport(), sleep=sleeps) == {"sent": 1}
    assert sleeps == [1.0, 1.0]


async def test_a_webhook_that_keeps_throttling_is_retried_on_a_later_tick(service, microsoft):
    team_with_hook(service)
    microsoft.webhook_throttle[:] = [429, 429, 429]
    assert await post_team_channels(service, TUESDAY_NOON, transport=microsoft.transport(), sleep=Sleeps()) == {"retry": 1}
    assert await post_team_channels(service, TUESDAY_NOON, transport=microsoft.transport()) == {"skipped": 1}  # backing off
    later = utc(2026, 11, 24, 12, 5)
    assert await post_team_channels(service, later, transport=microsoft.transport()) == {"sent": 1}


async def test_a_deleted_workflow_fails_with_the_reason_and_is_not_retried(service, microsoft):
    team_with_hook(service, url="https://webhooks.test/workflows/gone")
    assert await post_team_channels(service, TUESDAY_NOON, transport=microsoft.transport()) == {"failed": 1}
    with Session(service.engine) as session:
        post = session.exec(select(ChannelPost)).one()
    assert post.status == "failed" and "404" in post.last_error and "WorkflowNotFound" in post.last_error
    assert await post_team_channels(service, utc(2026, 11, 25, 12), transport=microsoft.transport()) == {"skipped": 1}


def test_post_times_follow_the_team_week_and_meeting_day():
    from schedules.channel_posts import due_posts

    wednesday_team = Team(id=1, name="W", meeting_day=2, timezone="Europe/London", theme_posts=True)
    monday_team = Team(id=2, name="M", meeting_day=0, timezone="America/New_York")
    assert [p.kind for p in due_posts(wednesday_team, utc(2026, 11, 23, 7, 59))] == []
    assert [p.kind for p in due_posts(wednesday_team, utc(2026, 11, 23, 8, 0))] == ["theme"]
    assert [(p.kind, p.period, p.due_at) for p in due_posts(wednesday_team, TUESDAY_NOON)] == [
        ("agenda", "2026-W48", utc(2026, 11, 24, 8)),
        ("theme", "2026-W48", utc(2026, 11, 23, 8)),
    ]
    assert [p.due_at for p in due_posts(monday_team, utc(2026, 11, 23, 13, 0))] == [utc(2026, 11, 23, 13, 0)]  # 08:00 in New York
    assert due_posts(monday_team, utc(2026, 11, 23, 12, 59)) == []


def test_two_workers_never_claim_the_same_post(service):
    from schedules.channel_posts import DuePost, claim

    team_id = team_with_hook(service)
    due = DuePost(team_id, "agenda", "2026-W48", TUESDAY_NOON)
    with Session(service.engine) as first, Session(service.engine) as second:
        assert claim(first, due, TUESDAY_NOON) is not None
        assert claim(second, due, TUESDAY_NOON) is None
    with Session(service.engine) as session:
        assert len(session.exec(select(ChannelPost)).all()) == 1
    with Session(service.engine) as third:  # the first worker died mid-send: claimable again after the lease
        assert claim(third, due, utc(2026, 11, 24, 12, 11)) is not None
