"""Plan and send N nudges to an SMTP sink on loopback; print messages per second end to end
(claim, render, send, mark sent) and peak memory.

    uv run python bench/dispatch.py [--n 20000] [--sink HOST:PORT] [--database-url URL]

Without --sink it starts Postfix's `smtp-sink` found on PATH (Debian: `apt-get install postfix`, or
unpack it without starting Postfix: `apt-get download postfix && dpkg -x postfix_*.deb ~/postfix` and put
`~/postfix/usr/sbin` on PATH with `LD_LIBRARY_PATH=~/postfix/usr/lib/postfix`). When it is missing it says
so and uses an aiosmtpd sink in a child process."""
import argparse
import asyncio
import multiprocessing
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from sqlalchemy import func, insert
from sqlmodel import Session, select

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.core.db import upgrade
from bot.jobs.dispatcher import dispatch_due
from bot.jobs.planning import run_planning
from bot.compose import build_service
from bot.core.settings import Settings
from schedules.models import Delivery, Person, Team

ROLES = ["social-worker", "health-visitor", "midwife", "gp", "teacher", "early-years", "police", "volunteer"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(port: int) -> None:
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"no SMTP sink on port {port}")


def start_sink() -> tuple[subprocess.Popen, str, str]:
    port = free_port()
    smtp_sink = shutil.which("smtp-sink") or ("/usr/sbin/smtp-sink" if Path("/usr/sbin/smtp-sink").exists() else None)
    if smtp_sink:
        cmd = [smtp_sink, "-u", "nobody", "-c", f"127.0.0.1:{port}", "1000"]
        kind = "postfix smtp-sink"
    else:
        print("smtp-sink not on PATH (Debian package postfix); using an aiosmtpd sink", file=sys.stderr)
        code = ("import asyncio; from aiosmtpd.controller import Controller\n"
                "class H:\n async def handle_DATA(self, s, se, e): return '250 OK'\n"
                f"c=Controller(H(), hostname='127.0.0.1', port={port}); c.start()\n"
                "import time\nwhile True: time.sleep(60)")
        cmd, kind = [sys.executable, "-c", code], "aiosmtpd sink"
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for(port)
    return proc, f"127.0.0.1:{port}", kind


def dispatcher_process(settings: Settings) -> int:
    """One more dispatcher, as a second replica would run it: its own process, engine and SMTP connections."""
    async def run() -> int:
        service = build_service(settings)
        try:
            return (await dispatch_due(service, lambda: datetime.now(timezone.utc))).sent
        finally:
            await service.close()

    return asyncio.run(run())


def seed_people(engine, n: int) -> None:
    now = datetime.now(timezone.utc)
    with Session(engine) as session:
        team = Team(name="Bench team", agency="Bench")
        session.add(team)
        session.flush()
        rows = [{"email": f"person{i}@example.org", "name": f"Person {i}", "role": ROLES[i % len(ROLES)], "team_id": team.id,
                 "agency": "Bench", "timezone": "Europe/London", "nudge_day": 1, "nudge_time": "10:00", "channel": "email",
                 "access": "member", "status": "active", "created_at": now} for i in range(n)]
        for start in range(0, n, 5000):
            session.execute(insert(Person), rows[start : start + 5000])
        session.commit()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20_000)
    parser.add_argument("--sink", help="HOST:PORT of a running SMTP sink")
    parser.add_argument("--database-url")
    parser.add_argument("--connections", type=int, default=10)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--dispatchers", type=int, default=1, help="dispatcher processes claiming from the same outbox")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="lessonloop-bench-"))
    sink_proc, sink, kind = (None, args.sink, "given sink") if args.sink else start_sink()
    url = args.database_url or f"sqlite:///{workdir / 'bench.db'}"
    settings = Settings(env="test", database_url=url, smtp_url=f"smtp://{sink}", secret_key="bench-secret",
                        smtp_connections=args.connections, dispatch_batch=args.batch, mail_dir=workdir / "outbox")
    upgrade(settings.sqlalchemy_url())
    service = build_service(settings)
    try:
        seed_people(service.engine, args.n)
        t0 = time.perf_counter()
        planned = run_planning(service, datetime.now(timezone.utc), immediate=True, keep_planned=False)
        t1 = time.perf_counter()
        if args.dispatchers == 1:
            sent = (await dispatch_due(service, lambda: datetime.now(timezone.utc))).sent
        else:
            with ProcessPoolExecutor(args.dispatchers, mp_context=multiprocessing.get_context("spawn")) as pool:
                sent = sum(pool.map(dispatcher_process, [settings] * args.dispatchers))
        t2 = time.perf_counter()
        with Session(service.engine) as session:
            states = dict(session.exec(select(Delivery.status, func.count()).group_by(Delivery.status)).all())
    finally:
        await service.close()
        if sink_proc:
            sink_proc.terminate()
        shutil.rmtree(workdir, ignore_errors=True)
    # ru_maxrss is this process; with several dispatchers, each child is its own process of about the same size.
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"sink: {kind}; database: {url.split(':')[0]}; dispatchers: {args.dispatchers} x {args.connections} connections; batch: {args.batch}")
    print(f"planned {planned.inserted} nudges in {t1 - t0:.2f} s ({planned.inserted / (t1 - t0):,.0f}/s)")
    print(f"sent {sent} (rows by status: {states}) in {t2 - t1:.2f} s: {sent / (t2 - t1):,.0f} messages/s end to end")
    print(f"peak memory (max RSS): {peak_mib:,.0f} MiB")


if __name__ == "__main__":
    asyncio.run(main())
