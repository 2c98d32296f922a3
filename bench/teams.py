"""Teams figures: card building and sizes for every lesson, JWT checks per second, and a week's
nudges sent through the real Teams channel to a loopback connector stand-in (with a simulated
network delay), paced by Teams' limits.

    uv run python bench/teams.py [--n 500] [--latency-ms 40]"""

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timezone
from pathlib import Path

import httpx
from sqlalchemy import insert
from sqlmodel import Session

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.core.db import upgrade
from bot.jobs.dispatcher import dispatch_due
from bot.jobs.planning import run_planning
from bot.compose import build_service
from bot.core.settings import Settings
from bot.teams.channel import TeamsChannel
from bot.teams.connector import ConversationRef
from digests.agenda import plain_agenda_item
from digests.cards import agenda_card, card_bytes, fitted_nudge_card
from digests.nudge import Nudge, NudgeLinks
from lesson_bank.taxonomy import load_taxonomy
from schedules.models import Person, Team
from tests.bot.teams.fakes import APP_ID, OPENID_URL, SERVICE_URL, TENANT, TOKEN_URL, Microsoft, invoke_activity

NOW = datetime(2026, 11, 24, 12, tzinfo=timezone.utc)


def card_figures(lessons) -> None:
    links = NudgeLinks("https://lessonloop.example/r/" + "x" * 40, "https://lessonloop.example/u/" + "x" * 40)
    started = time.perf_counter()
    sizes = [card_bytes(fitted_nudge_card(Nudge("Sam", lesson, links, first_nudge=True), "x" * 40)) for lesson in lessons]
    elapsed = time.perf_counter() - started
    taxonomy = load_taxonomy()
    agenda = [
        card_bytes(
            agenda_card(
                plain_agenda_item(
                    team_id=1,
                    team_name="T",
                    week="2026-W48",
                    lesson=lesson,
                    theme_label=taxonomy.theme_label(lesson.primary_theme),
                ),
                "https://x/a/t",
            )
        )
        for lesson in lessons
    ]
    print(
        f"nudge cards: {len(sizes)} lessons, {len(sizes) / elapsed:,.0f} cards/s; bytes min {min(sizes)}, "
        f"median {statistics.median(sizes):.0f}, max {max(sizes)} (limit 20,000)"
    )
    print(f"agenda cards: bytes min {min(agenda)}, median {statistics.median(agenda):.0f}, max {max(agenda)}")


async def jwt_figures(channel: TeamsChannel, microsoft: Microsoft, rounds: int = 2000) -> None:
    activity = invoke_activity({}, "aad", "a:conv")
    bearer = microsoft.bearer()
    await channel.validator.validate(bearer, activity)  # fetch the keys once
    started = time.perf_counter()
    for _ in range(rounds):
        await channel.validator.validate(bearer, activity)
    print(f"JWT checks (RS256, cached key set): {rounds / (time.perf_counter() - started):,.0f} per second")


def seed(service, n: int) -> None:
    with Session(service.engine) as session:
        session.add(Team(name="Bench", agency="Bench"))
        session.commit()
        rows = [
            dict(
                email=f"p{i}@bench.example",
                name=f"Person {i}",
                role="social-worker",
                team_id=1,
                agency="Bench",
                timezone="Europe/London",
                nudge_day=1,
                nudge_time="10:00",
                channel="teams",
                access="member",
                status="active",
                teams_user_id=f"aad-{i}",
                created_at=NOW,
                teams_conversation_json=ConversationRef(SERVICE_URL, f"a:conv-{i}", f"29:u{i}", f"28:{APP_ID}", TENANT).to_json(),
            )
            for i in range(n)
        ]
        session.execute(insert(Person), rows)
        session.commit()


async def send_figures(service, settings, microsoft: Microsoft, n: int, latency: float) -> TeamsChannel:
    async def slow(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(latency)
        return microsoft.handle(request)

    channel = TeamsChannel(settings, transport=httpx.MockTransport(slow))
    service.channels["teams"] = channel
    seed(service, n)
    run_planning(service, NOW)
    started = time.perf_counter()
    stats = await dispatch_due(service, lambda: NOW)
    elapsed = time.perf_counter() - started
    print(
        f"Teams dispatch: {stats.sent} of {n} sent in {elapsed:.1f} s = {stats.sent / elapsed:,.1f} messages/s "
        f"(connector delay {latency * 1000:.0f} ms; tenant limit 50/s)"
    )
    return channel


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=500)
    parser.add_argument("--latency-ms", type=float, default=40)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.db"
        upgrade(url)
        settings = Settings(
            env="test",
            database_url=url,
            mail_dir=Path(tmp) / "mail",
            secret_key="bench",
            base_url="https://lessonloop.example",
            teams_app_id=APP_ID,
            teams_app_password="app-password",
            teams_tenant_id=TENANT,
            teams_token_url=TOKEN_URL,
            teams_openid_url=OPENID_URL,
        )
        service = build_service(settings, today=date(2026, 11, 24), with_channels=False)
        card_figures(list(service.lessons.values()))
        microsoft = Microsoft()
        channel = await send_figures(service, settings, microsoft, args.n, args.latency_ms / 1000)
        await jwt_figures(channel, microsoft)
        await channel.close()
        service.engine.dispose()


if __name__ == "__main__":
    asyncio.run(main())
