"""Tap latency: signed Slack block_actions requests at a steady rate against `lessonloop serve`
(a child process, with its Slack Web API on loopback); prints p50/p99 time to HTTP 200 and checks that
every tap's reply was stored.

    uv run python bench/ack_latency.py [--rate 200] [--seconds 30] [--database-url URL]

Each request is a different person's tap on their own nudge (open loop: requests leave on schedule
whether or not earlier ones have answered)."""

import argparse
import asyncio
import json
import os
import shutil
import socket
import statistics
from collections import Counter
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlencode

import httpx
from slack_sdk.signature import SignatureVerifier
from sqlalchemy import bindparam, create_engine, func, update
from sqlmodel import Session, select

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.loadgen import open_loop, request_bytes
from bench.slack_fanout import seed_linked_people
from bot.core.db import upgrade
from bot.jobs.planning import run_planning
from bench.scale import reset
from bot.compose import build_service
from bot.core.settings import Settings
from schedules.models import Delivery, Reply
from tests.bot.slack.web_api_standin import TOKEN

SECRET = "bench-signing-secret"


def _descendants(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        parent = todo.pop()
        found.append(parent)
        for task in Path(f"/proc/{parent}/task").glob("*"):
            try:
                todo += [int(child) for child in (task / "children").read_text().split()]
            except OSError:
                pass  # the task ended meanwhile
    return found


def cpu_seconds(pid: int) -> float:
    """CPU a server and every process it started have used (user + system): what a request costs, however busy
    the machine is. Includes serve's jobs process and, with --workers, every web process."""
    total = 0
    for each in _descendants(pid):
        try:
            fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def prepare(url: str, people: int) -> list[tuple[int, str]]:
    """People with sent Slack nudges in an empty database (a PostgreSQL database's public schema is DROPPED);
    returns (delivery id, Slack user) for each."""
    settings = Settings(env="test", database_url=url, secret_key="bench-secret")
    reset(settings.sqlalchemy_url())
    upgrade(settings.sqlalchemy_url())
    service = build_service(settings, with_channels=False)
    seed_linked_people(service.engine, people)
    run_planning(service, datetime.now(timezone.utc), immediate=True)
    with Session(service.engine) as session:
        rows = session.exec(select(Delivery.id, Delivery.person_id).order_by(Delivery.id)).all()
        statement = update(Delivery.__table__).where(Delivery.__table__.c.id == bindparam("delivery"))
        session.connection().execute(
            statement.values(status="sent", external_ref=bindparam("ref")),
            [{"delivery": d, "ref": f"DU{p - 1}:1.000100"} for d, p in rows],
        )
        session.commit()
    service.engine.dispose()
    return [(delivery_id, f"U{person_id - 1}") for delivery_id, person_id in rows]


def tap_body(delivery_id: int, user: str) -> str:
    payload = {
        "type": "block_actions",
        "user": {"id": user, "team_id": "T1"},
        "team": {"id": "T1"},
        "api_app_id": "A1",
        "token": "x",
        "trigger_id": "t",
        "container": {"type": "message", "channel_id": f"D{user}", "message_ts": "1.000100"},
        "actions": [
            {"type": "button", "action_id": "check-1", "block_id": "check", "value": f"{delivery_id}:1", "action_ts": "1"}
        ],
    }
    return urlencode({"payload": json.dumps(payload)})


def start_standin(port: int) -> subprocess.Popen:
    """The loopback Slack API in its own process, so it does not share this one's interpreter lock."""
    code = f"from tests.bot.slack.web_api_standin import serve_forever; serve_forever({port})"
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT)
    for _ in range(100):
        try:
            httpx.get(f"http://127.0.0.1:{port}/stats", timeout=1, headers={"Connection": "close"})
            return proc
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.terminate()
    raise RuntimeError("the Slack stand-in did not start")


def start_server(url: str, api_url: str, port: int, workdir: Path, workers: int = 1) -> subprocess.Popen:
    env = {
        **os.environ,
        "LESSONLOOP_ENV": "dev",
        "LESSONLOOP_DATABASE_URL": url,
        "LESSONLOOP_SECRET_KEY": "bench-secret",
        "LESSONLOOP_SLACK_BOT_TOKEN": TOKEN,
        "LESSONLOOP_SLACK_SIGNING_SECRET": SECRET,
        "LESSONLOOP_SLACK_API_URL": api_url,
        "LESSONLOOP_SLACK_PER_MINUTE": "10000",  # the highest the setting allows
        "LESSONLOOP_MAIL_DIR": str(workdir / "outbox"),
        "LESSONLOOP_WEB_WORKERS": str(workers),
    }
    log = open(workdir / "serve.log", "wb")
    proc = subprocess.Popen(
        [sys.executable, "-c", "from bot.cli.main import main; main()", "serve", "--port", str(port)],
        cwd=workdir,
        env=env,
        stdout=log,
        stderr=log,
    )
    for _ in range(200):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                settle(proc.pid)
                return proc
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.terminate()
    raise RuntimeError(f"lessonloop serve did not start; see {workdir / 'serve.log'}")


def settle(pid: int, quiet: float = 0.05, longest: float = 30.0) -> None:
    """Wait until the server's processes are idle: serve answers /healthz before its jobs process has loaded
    the lesson bank and run its first tick, and that start-up is not what a request costs."""
    deadline = time.monotonic() + longest
    while time.monotonic() < deadline:
        before = cpu_seconds(pid)
        time.sleep(0.5)
        if cpu_seconds(pid) - before < quiet:
            return


def tap_requests(taps: list[tuple[int, str]]) -> list[bytes]:
    """Each tap signed as Slack signs it (v0 HMAC of the timestamp and body), prepared before the burst."""
    verifier, ts = SignatureVerifier(SECRET), str(int(time.time()))
    requests = []
    for delivery_id, user in taps:
        body = tap_body(delivery_id, user)
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": verifier.generate_signature(timestamp=ts, body=body),
        }
        requests.append(request_bytes("POST", "/slack/events", body.encode(), headers))
    return requests


def fire(port: int, taps: list[tuple[int, str]], rate: float) -> tuple[list[float], int, Counter]:
    outcome = asyncio.run(open_loop(port, tap_requests(taps), rate))
    return outcome.latencies, outcome.failures, Counter(outcome.errors)


def stored_replies(url: str, want: int, wait: float = 60.0) -> int:
    engine = create_engine(Settings(database_url=url).sqlalchemy_url())
    deadline = time.monotonic() + wait
    with Session(engine) as session:
        while (count := session.exec(select(func.count()).select_from(Reply)).one()) < want and time.monotonic() < deadline:
            time.sleep(0.05)
            session.rollback()  # a fresh snapshot each look
    engine.dispose()
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=200.0, help="requests per second")
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--database-url")
    parser.add_argument("--workers", type=int, default=1, help="web processes of lessonloop serve")
    args = parser.parse_args()
    total = int(args.rate * args.seconds)
    workdir = Path(tempfile.mkdtemp(prefix="lessonloop-ack-bench-"))
    url = args.database_url or f"sqlite:///{workdir / 'bench.db'}"
    api_port, port = free_port(), free_port()
    standin = start_standin(api_port)
    taps = prepare(url, total)
    server = start_server(url, f"http://127.0.0.1:{api_port}/api/", port, workdir, args.workers)
    try:
        cpu = cpu_seconds(server.pid)
        latencies, failures, errors = fire(port, taps, args.rate)
        burst_end = time.monotonic()
        stored = stored_replies(url, total)
        stored_after = time.monotonic() - burst_end
        cpu = cpu_seconds(server.pid) - cpu
        calls = httpx.get(f"http://127.0.0.1:{api_port}/stats", headers={"Connection": "close"}).json()
    finally:
        server.terminate()
        server.wait(10)
        standin.terminate()
        standin.wait(10)
    ms = sorted(x * 1000 for x in latencies)
    p99 = ms[min(len(ms) - 1, int(len(ms) * 0.99))]
    print(f"{total} taps at {args.rate:.0f}/s for {args.seconds:.0f} s against lessonloop serve ({url.split(':')[0]})")
    print(
        f"time to HTTP 200: p50 {statistics.median(ms):.1f} ms, p99 {p99:.1f} ms, max {ms[-1]:.1f} ms; "
        f"non-200 or no answer: {failures} {dict(errors) or ''}; over 3 s: {sum(1 for x in ms if x > 3000)}"
    )
    print(
        f"replies stored: {stored} of {total} ({'all stored' if stored == total else 'MISSING ' + str(total - stored)}), "
        f"the last {stored_after:.2f} s after the burst; server CPU {1000 * cpu / total:.2f} ms a tap; chat.update calls: {calls.get('chat.update 200', 0)}"
    )
    print(
        "RESULT "
        + json.dumps(
            {
                "p50_ms": statistics.median(ms),
                "p99_ms": p99,
                "max_ms": ms[-1],
                "over_3s": sum(1 for x in ms if x > 3000),
                "failures": failures,
                "stored": stored,
                "taps": total,
                "stored_after_s": stored_after,
                "server_cpu_ms_per_tap": 1000 * cpu / total,
            }
        )
    )
    shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)  # servers start from cached byte-code, as an installed copy does
    main()
