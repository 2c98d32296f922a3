"""Delivery under crashes and outages: several dispatcher processes against a fault-injecting SMTP server;
prints planned / delivered / duplicates / delay after restart.

    uv run python bench/delivery_faults.py [--database-url postgresql://...] [--scenario crash|slow]

crash (default): 2,000 nudges, 3 dispatchers (4 SMTP connections each); the relay takes 25 ms a message,
    drops 0.5% of connections mid-DATA and answers 1% with 451. One dispatcher is killed with SIGKILL at
    15% delivered and restarted at once; at 50% every database connection of the dispatchers is killed
    (PostgreSQL: pg_terminate_backend; SQLite has no server, so the database is held under an exclusive
    lock for 5 s instead). It runs until every row is final.
slow: 600 nudges, 2 dispatchers, a relay that takes 1.25 s a message, no faults.

The server counts a message as delivered when it accepts DATA (one line per message in a file), so a
duplicate is a recipient it accepted twice. "held by the killed one" is how many rows the killed
dispatcher had claimed; "delay after restart" is how long after the kill the last of them went out."""

import argparse
import asyncio
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime, timezone
from multiprocessing import get_context
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, func, make_url, text
from sqlmodel import Session, select

from bot.compose import build_service
from bot.core.db import upgrade
from bot.core.settings import Settings
from bot.jobs.dispatcher import dispatch_due
from bot.jobs.planning import run_planning
from schedules.models import Delivery, DeliveryStatus

SCENARIOS = {
    "crash": {"n": 2000, "dispatchers": 3, "connections": 4, "delay": 0.025, "drop": 0.005, "tempfail": 0.01, "faults": True},
    "slow": {"n": 600, "dispatchers": 2, "connections": 8, "delay": 1.25, "drop": 0.0, "tempfail": 0.0, "faults": False},
}
FINAL = (DeliveryStatus.SENT, DeliveryStatus.FAILED, DeliveryStatus.EXPIRED, DeliveryStatus.CANCELLED)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def faulty_relay(port: int, log_path: str, delay: float, drop: float, tempfail: float) -> None:
    """An SMTP server on loopback that is slow, sometimes hangs up mid-DATA and sometimes says 451."""
    from aiosmtpd.controller import Controller

    log = open(log_path, "a", buffering=1)

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            await asyncio.sleep(delay)
            roll = random.random()
            if roll < drop:
                server.transport.abort()  # the connection drops before the answer: not delivered
                return "421 4.4.2 connection dropped"
            if roll < drop + tempfail:
                return "451 4.3.0 try again later"
            for rcpt in envelope.rcpt_tos:
                log.write(rcpt + "\n")
            return "250 2.0.0 accepted"

    Controller(Handler(), hostname="127.0.0.1", port=port).start()
    while True:
        time.sleep(3600)


def dispatcher_main(url: str, port: int, connections: int, stop_file: str) -> None:
    """One dispatcher replica: dispatch what is due every half second until told to stop."""
    settings = Settings(
        env="test",
        database_url=url,
        smtp_url=f"smtp://127.0.0.1:{port}",
        secret_key="bench-secret" * 3,
        smtp_connections=connections,
        mail_dir=Path("/nonexistent"),
    )

    async def run() -> None:
        service = build_service(settings)
        while not os.path.exists(stop_file):
            try:
                await dispatch_due(service, lambda: datetime.now(timezone.utc))
            except Exception as exc:  # as the scheduler would: log, and try again on the next tick
                print(f"dispatcher {os.getpid()}: {type(exc).__name__}", file=sys.stderr)
            await asyncio.sleep(0.5)
        await service.close()

    asyncio.run(run())


def start_dispatcher(url: str, port: int, connections: int, stop_file: str) -> subprocess.Popen:
    code = (
        f"import sys; sys.path.insert(0, {str(ROOT)!r}); sys.path.insert(0, {str(ROOT / 'bench')!r}); "
        f"from delivery_faults import dispatcher_main; dispatcher_main({url!r}, {port}, {connections}, {stop_file!r})"
    )
    return subprocess.Popen([sys.executable, "-c", code], cwd=tempfile.gettempdir())


def fresh_database(base: str | None, workdir: Path) -> str:
    if not base:
        return f"sqlite:///{workdir / 'faults.db'}"
    url = make_url(Settings(database_url=base).sqlalchemy_url())
    name = f"lessonloop_bench_faults_{os.getpid()}"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


def kill_database_connections(engine, url: str) -> str:
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            killed = connection.execute(
                text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            ).scalar_one()
            connection.commit()
        return f"terminated {killed} database connections"
    import sqlite3

    connection = sqlite3.connect(url.removeprefix("sqlite:///"), timeout=30)
    connection.execute("BEGIN EXCLUSIVE")
    time.sleep(5)
    connection.rollback()
    connection.close()
    return "held the SQLite database under an exclusive lock for 5 s"


def seed(service, n: int) -> int:
    sys.path.insert(0, str(ROOT / "bench"))
    from dispatch import seed_people

    seed_people(service.engine, n)
    return run_planning(service, datetime.now(timezone.utc), immediate=True, keep_planned=False).inserted


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="PostgreSQL URL (a fresh database is made beside it); default SQLite")
    parser.add_argument("--scenario", choices=sorted(SCENARIOS), default="crash")
    parser.add_argument("--timeout", type=float, default=600)
    args = parser.parse_args()
    plan = SCENARIOS[args.scenario]
    workdir = Path(tempfile.mkdtemp(prefix="lessonloop-faults-"))
    url = fresh_database(args.database_url, workdir)
    settings = Settings(env="test", database_url=url, secret_key="bench-secret" * 3, mail_dir=workdir / "outbox")
    upgrade(settings.sqlalchemy_url())
    service = build_service(settings, with_channels=False)
    engine = service.engine
    planned = seed(service, plan["n"])

    port, log_path, stop_file = free_port(), workdir / "delivered.txt", str(workdir / "stop")
    log_path.touch()
    relay = get_context("spawn").Process(
        target=faulty_relay, daemon=True, args=(port, str(log_path), plan["delay"], plan["drop"], plan["tempfail"])
    )
    relay.start()
    time.sleep(1.0)

    def delivered() -> int:
        return sum(1 for _ in log_path.open())

    def counts() -> dict[str, int]:
        with Session(engine) as session:
            return dict(session.exec(select(Delivery.status, func.count()).group_by(Delivery.status)).all())

    started = time.monotonic()
    dispatchers = [start_dispatcher(url, port, plan["connections"], stop_file) for _ in range(plan["dispatchers"])]
    events: list[str] = []
    held, killed_at, resumed_after, all_sent_after = 0, None, None, None
    held_ids: list[int] = []
    victim_marker = ""
    try:
        while time.monotonic() - started < args.timeout:
            time.sleep(0.2)
            done = delivered()
            if plan["faults"] and killed_at is None and done >= 0.15 * planned:
                victim = dispatchers[0]
                os.kill(victim.pid, signal.SIGKILL)
                killed_at = time.monotonic()
                victim_marker = f"%:{victim.pid}:%"  # the claimant id is host:pid:random
                with Session(engine) as session:
                    held_ids = list(
                        session.exec(
                            select(Delivery.id).where(
                                Delivery.status == DeliveryStatus.SENDING, Delivery.claimed_by.like(victim_marker)
                            )
                        )
                    )
                held = len(held_ids)
                dispatchers[0] = start_dispatcher(url, port, plan["connections"], stop_file)  # restarted at once
                events.append(f"SIGKILL one dispatcher at {done} delivered (it held {held} rows); restarted it at once")
            if plan["faults"] and killed_at is not None and len(events) == 1 and done >= 0.5 * planned:
                events.append(f"at {done} delivered: {kill_database_connections(engine, url)}")
            if killed_at is not None and all_sent_after is None:
                with Session(engine) as session:
                    still_held = session.exec(
                        select(func.count()).where(
                            Delivery.status == DeliveryStatus.SENDING, Delivery.claimed_by.like(victim_marker)
                        )
                    ).one()
                    waiting = session.exec(
                        select(func.count()).where(Delivery.id.in_(held_ids), Delivery.status.not_in(FINAL))
                    ).one()
                if still_held == 0 and resumed_after is None:
                    resumed_after = time.monotonic() - killed_at
                if waiting == 0:
                    all_sent_after = time.monotonic() - killed_at
            by_status = counts()
            if sum(by_status.get(s, 0) for s in FINAL) == planned and (killed_at is None or all_sent_after is not None):
                break
    finally:
        Path(stop_file).touch()
        for proc in dispatchers:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
        relay.kill()
    elapsed = time.monotonic() - started
    copies = Counter(line.strip() for line in log_path.open())
    extra = sum(n - 1 for n in copies.values() if n > 1)
    database = engine.dialect.name
    print(
        f"scenario {args.scenario} on {database}: {plan['dispatchers']} dispatchers x {plan['connections']} connections; "
        f"relay {plan['delay'] * 1000:.0f} ms a message, {plan['drop']:.1%} dropped, {plan['tempfail']:.1%} 451"
    )
    for event in events:
        print(f"  {event}")
    bound = f" (bound: the killed dispatcher's {plan['connections']} open connections)" if killed_at is not None else ""
    print(f"planned {planned}, delivered {len(copies)}, duplicates {extra}{bound}, rows by status {counts()}")
    if killed_at is not None and resumed_after is not None:
        print(
            f"delay after restart: {resumed_after:.1f} s until the killed dispatcher's {held} rows were all taken up "
            f"again; the last of them was sent {all_sent_after or float('nan'):.1f} s after the kill "
            "(a few met a 451 and waited out their backoff)"
        )
    print(f"total time {elapsed:.1f} s")
    engine.dispose()


if __name__ == "__main__":
    main()
