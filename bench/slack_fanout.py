"""Send N Slack DMs through the real dispatcher and slack_sdk against the loopback Slack Web API, which
enforces the workspace limit (a per-minute budget for chat.postMessage) and one message a second per
channel, answering 429 with Retry-After. Prints the achieved rate as a fraction of the budget and the
number of 429s.

    uv run python bench/slack_fanout.py [--n 5000] [--budget 300] [--server-limit BUDGET] [--storm 0]

People are already linked (their DM channel stored), as in any week after the first, so each send is
one chat.postMessage. At the default budget 5,000 DMs take about 17 minutes: that is the point."""

import argparse
import asyncio
import shutil
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import insert
from sqlmodel import Session

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.core.db import upgrade
from bot.jobs.dispatcher import dispatch_due
from bot.jobs.planning import run_planning
from bot.compose import build_service
from bot.core.settings import Settings
from schedules.models import Person, Team
from tests.bot.slack.web_api_standin import TOKEN, SlackStandIn, Workspace


def seed_linked_people(engine, n: int) -> None:
    now = datetime.now(timezone.utc)
    with Session(engine) as session:
        team = Team(name="Bench team", agency="Bench")
        session.add(team)
        session.flush()
        rows = [
            {
                "email": f"person{i}@example.org",
                "name": f"Person {i}",
                "role": "social-worker",
                "team_id": team.id,
                "agency": "Bench",
                "timezone": "Europe/London",
                "nudge_day": 1,
                "nudge_time": "10:00",
                "channel": "slack",
                "access": "member",
                "status": "active",
                "created_at": now,
                "slack_user_id": f"U{i}",
                "slack_channel_id": f"DU{i}",
            }
            for i in range(n)
        ]
        for start in range(0, n, 5000):
            session.execute(insert(Person), rows[start : start + 5000])
        session.commit()


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=5000, help="DMs to send")
    parser.add_argument("--budget", type=int, default=300, help="LESSONLOOP_SLACK_PER_MINUTE")
    parser.add_argument(
        "--server-limit", type=int, help="chat.postMessage calls the stand-in allows in any 60 s (default: the budget)"
    )
    parser.add_argument("--storm", type=int, default=0, help="also answer this many calls with 429 Retry-After: 1 at the start")
    parser.add_argument("--database-url")
    return parser.parse_args()


async def main() -> None:
    args = arguments()
    workspace = Workspace(per_minute={"chat.postMessage": args.server_limit or args.budget}, channel_gap=1.0, storm=args.storm)
    api = SlackStandIn(workspace).start()
    workdir = Path(tempfile.mkdtemp(prefix="lessonloop-slack-bench-"))
    url = args.database_url or f"sqlite:///{workdir / 'bench.db'}"
    settings = Settings(
        env="test",
        database_url=url,
        secret_key="bench-secret",
        mail_dir=workdir / "outbox",
        slack_bot_token=TOKEN,
        slack_signing_secret="bench",
        slack_api_url=api.url,
        slack_per_minute=args.budget,
    )
    upgrade(settings.sqlalchemy_url())
    service = build_service(settings)
    try:
        seed_linked_people(service.engine, args.n)
        run_planning(service, datetime.now(timezone.utc), immediate=True)
        started = time.perf_counter()
        stats = await dispatch_due(service, lambda: datetime.now(timezone.utc))
        elapsed = time.perf_counter() - started
    finally:
        await service.close()
        api.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    delivered = len(api.ok_calls("chat.postMessage"))
    rate = delivered / elapsed * 60
    print(
        f"budget {args.budget}/min; stand-in limit {workspace.per_minute['chat.postMessage']}/min and 1/s per channel; storm {args.storm}"
    )
    print(
        f"sent {stats.sent} of {args.n} (failed {stats.failed}, retry {stats.retried}, fell back {stats.fell_back}); "
        f"{delivered} messages reached the API in {elapsed:.1f} s"
    )
    print(f"achieved {rate:.1f}/min = {rate / args.budget:.3f} of the budget; 429 answers: {api.count('chat.postMessage', 429)}")


if __name__ == "__main__":
    asyncio.run(main())
