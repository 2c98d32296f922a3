"""Team channel posts through a Teams Workflows webhook ("post to a channel when a webhook request is
received"). Office 365 connectors are retired; Workflows accept Adaptive Cards with Action.OpenUrl only,
so the agenda card's buttons are signed links to the agenda page.

    429, 5xx, network errors   retried here (Retry-After honoured), then again on a later tick with backoff
    other 4xx                  the webhook is gone or refuses the card: failed, with the reason kept
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
from sqlmodel import Session

from bot.core.agenda import agenda_link, current_agenda
from bot.core.pacing import WEBHOOK_LIMITS, KeyedLimiters
from bot.core.retry import TryAgain, retry_after, send_with_retry
from bot.core.service import Service
from bot.core.transport import TransportError
from digests.cards import agenda_card, theme_card, webhook_message
from schedules import channel_posts
from schedules.models import ChannelPost, Team
from schedules.planner import is_held
from schedules.rollout_store import wave_starts

log = logging.getLogger("lessonloop.teams")
TRANSIENT = {408, 429, 500, 502, 503, 504}
MAX_POST_ATTEMPTS = 6


class WebhookPoster:
    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        tries: int = 3,
        max_wait: float = 30.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ):
        self.client, self.tries, self.max_wait, self.sleep = client, tries, max_wait, sleep
        self.limits = KeyedLimiters(WEBHOOK_LIMITS)

    async def post(self, url: str, card: dict) -> None:
        async def attempt(number: int) -> None:
            await self.limits[url].acquire()
            try:
                response = await self.client.post(url, json=webhook_message(card))
            except httpx.HTTPError as exc:
                raise TryAgain(
                    TransportError(f"{type(exc).__name__}: {exc}"), retry_after(None, number, cap=self.max_wait)
                ) from None
            if response.status_code < 300:
                return
            problem = TransportError(
                f"webhook answered {response.status_code} {response.text[:200]}".strip(),
                permanent=response.status_code not in TRANSIENT,
            )
            if problem.permanent:
                raise problem
            raise TryAgain(problem, retry_after(response.headers.get("Retry-After"), number, cap=self.max_wait))

        await send_with_retry(attempt, tries=self.tries, sleep=self.sleep)


def agenda_page_url(service: Service, team_id: int, week: str, now: datetime) -> str:
    return agenda_link(service, team_id, week, now=now)


def build_card(service: Service, session: Session, team: Team, kind: str, week: str, now: datetime) -> dict | None:
    assert team.id is not None  # a stored team
    item = current_agenda(service, session, team_id=team.id, week=week)
    if item is None:
        return None
    page = agenda_page_url(service, team.id, week, now)
    return agenda_card(item, page) if kind == "agenda" else theme_card(item, page)


async def _post_one(service: Service, poster: WebhookPoster, team: Team, due: channel_posts.DuePost, now: datetime) -> str:
    with Session(service.engine) as session:
        post_id = channel_posts.claim(session, due, now)
        if post_id is None:
            return "skipped"
        post = session.get(ChannelPost, post_id)
        assert post is not None  # just claimed
        attempts = post.attempts
        card = build_card(service, session, team, due.kind, due.period, now)
        if card is None:
            channel_posts.finish(session, post_id, now=now, error="no published lesson to make an agenda item from")
            return "failed"
    assert team.webhook_url is not None  # one of channel_posts.teams_with_webhooks
    try:
        await poster.post(team.webhook_url, card)
        error, retry_at = None, None
    except TransportError as exc:
        error = exc.message
        retry_at = None if exc.permanent or attempts >= MAX_POST_ATTEMPTS else now + timedelta(minutes=2**attempts)
    with Session(service.engine) as session:
        channel_posts.finish(session, post_id, now=now, error=error, retry_at=retry_at)
    return "sent" if error is None else ("retry" if retry_at else "failed")


async def post_team_channels(
    service: Service, now: datetime, *, transport: httpx.AsyncBaseTransport | None = None, sleep=asyncio.sleep
) -> dict[str, int]:
    """Post every due agenda item and theme to the teams that have a webhook; counts by outcome."""
    with Session(service.engine) as session:
        starts = wave_starts(session)  # a team held in a staged roll-out gets no posts until its wave starts
        teams = [
            team
            for team in channel_posts.teams_with_webhooks(session)
            if not is_held(starts, team.id, now.astimezone(ZoneInfo(team.timezone)).date())
        ]
    counts: dict[str, int] = {}
    if not teams:
        return counts
    async with httpx.AsyncClient(transport=transport, timeout=httpx.Timeout(30.0)) as client:
        poster = WebhookPoster(client, sleep=sleep)
        for team in teams:
            for due in channel_posts.due_posts(team, now):
                outcome = await _post_one(service, poster, team, due, now)
                counts[outcome] = counts.get(outcome, 0) + 1
                if outcome != "sent" and outcome != "skipped":
                    log.warning("channel post for team %s (%s %s): %s", team.name, due.kind, due.period, outcome)
    return counts
