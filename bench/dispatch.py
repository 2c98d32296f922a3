"""Plan and send N nudges to an SMTP sink on loopback; print messages per second end to end
(claim, render, sign, send, record each outcome) beside two yardsticks on the same sink, each the median
of --runs runs with min and max:

    smtp-source   Postfix's own SMTP client blasting messages of the same size (the ceiling)
    raw loop      aiosmtplib `sendmail` of pre-built messages over the same number of connections
                  (no database, no rendering: what a plain Python sender manages)

    uv run python bench/dispatch.py [--n 10000] [--runs 3] [--database-url URL]

It starts Postfix's `smtp-sink` and `smtp-source` found on PATH (Debian: `apt-get install postfix`, or
unpack it without starting Postfix: `apt-get download postfix && dpkg -x postfix_*.deb ~/postfix` and put
`~/postfix/usr/sbin` on PATH with `LD_LIBRARY_PATH=~/postfix/usr/lib/postfix`). When they are missing it
says so, uses an aiosmtpd sink and leaves smtp-source out."""

import argparse
import asyncio
import os
import statistics
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

import aiosmtplib
from sqlalchemy import create_engine, func, insert, make_url, text
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
        code = (
            "import asyncio; from aiosmtpd.controller import Controller\n"
            "class H:\n async def handle_DATA(self, s, se, e): return '250 OK'\n"
            f"c=Controller(H(), hostname='127.0.0.1', port={port}); c.start()\n"
            "import time\nwhile True: time.sleep(60)"
        )
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
        rows = [
            {
                "email": f"person{i}@example.org",
                "name": f"Person {i}",
                "role": ROLES[i % len(ROLES)],
                "team_id": team.id,
                "agency": "Bench",
                "timezone": "Europe/London",
                "nudge_day": 1,
                "nudge_time": "10:00",
                "channel": "email",
                "access": "member",
                "status": "active",
                "created_at": now,
            }
            for i in range(n)
        ]
        for start in range(0, n, 5000):
            session.execute(insert(Person), rows[start : start + 5000])
        session.commit()


def fresh_database(base: str | None, workdir: Path, run: int) -> tuple[str, object]:
    """A new empty database for one run: a SQLite file, or a PostgreSQL database beside `base`'s."""
    if not base:
        return f"sqlite:///{workdir / f'bench{run}.db'}", lambda: None
    url = make_url(Settings(database_url=base).sqlalchemy_url())
    name = f"lessonloop_bench_dispatch_{os.getpid()}_{run}"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return url.set(database=name).render_as_string(hide_password=False), drop


async def sample_message(workdir: Path) -> bytes:
    """One real nudge as LessonLoop writes it, so the yardsticks send messages of the same size."""
    folder = workdir / "sample"
    settings = Settings(
        env="test", database_url=f"sqlite:///{workdir / 'sample.db'}", secret_key="bench-secret" * 3, mail_dir=folder
    )
    upgrade(settings.sqlalchemy_url())
    service = build_service(settings)
    seed_people(service.engine, 1)
    run_planning(service, datetime.now(timezone.utc), immediate=True, keep_planned=False)
    await dispatch_due(service, lambda: datetime.now(timezone.utc))
    await service.close()
    return next(folder.glob("*.eml")).read_bytes()


async def lessonloop_run(url: str, sink: str, args) -> tuple[float, int, dict]:
    settings = Settings(
        env="test",
        database_url=url,
        smtp_url=f"smtp://{sink}",
        secret_key="bench-secret" * 3,
        smtp_connections=args.connections,
        dispatch_batch=args.batch,
        mail_dir=Path("/nonexistent"),
    )
    upgrade(settings.sqlalchemy_url())
    service = build_service(settings)
    try:
        seed_people(service.engine, args.n)
        run_planning(service, datetime.now(timezone.utc), immediate=True, keep_planned=False)
        t0, c0 = time.perf_counter(), time.process_time()
        if args.dispatchers == 1:
            sent = (await dispatch_due(service, lambda: datetime.now(timezone.utc))).sent
        else:
            with ProcessPoolExecutor(args.dispatchers, mp_context=multiprocessing.get_context("spawn")) as pool:
                sent = sum(pool.map(dispatcher_process, [settings] * args.dispatchers))
        elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
        with Session(service.engine) as session:
            states = dict(session.exec(select(Delivery.status, func.count()).group_by(Delivery.status)).all())
    finally:
        await service.close()
    return sent / elapsed, sent, states, cpu / max(sent, 1) * 1000


async def raw_loop(sink: str, n: int, connections: int, message: bytes) -> tuple[float, float]:
    """The yardstick: aiosmtplib's own `sendmail` of one pre-built message, N times over C connections."""
    host, port = sink.rsplit(":", 1)
    clients = [aiosmtplib.SMTP(hostname=host, port=int(port), start_tls=False) for _ in range(connections)]
    for client in clients:
        await client.connect()
    left = iter(range(n))
    t0, c0 = time.perf_counter(), time.process_time()

    async def worker(client: aiosmtplib.SMTP) -> None:
        for i in left:
            await client.sendmail("lessonloop@localhost", [f"person{i}@example.org"], message)

    await asyncio.gather(*(worker(c) for c in clients))
    elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
    for client in clients:
        await client.quit()
    return n / elapsed, cpu / n * 1000


def smtp_source_rate(sink: str, n: int, connections: int, size: int) -> float | None:
    source = shutil.which("smtp-source")
    if source is None:
        return None
    t0 = time.perf_counter()
    subprocess.run(
        [
            source,
            "-d",
            "-s",
            str(connections),
            "-m",
            str(n),
            "-l",
            str(size),
            "-f",
            "lessonloop@localhost",
            "-t",
            "person@example.org",
            sink,
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return n / (time.perf_counter() - t0)


def spread(values: list[float]) -> str:
    return f"{statistics.median(values):,.0f}/s (min {min(values):,.0f}, max {max(values):,.0f})"


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sink", help="HOST:PORT of a running SMTP sink")
    parser.add_argument("--database-url", help="a PostgreSQL URL (a fresh database is made beside it per run); default SQLite")
    parser.add_argument("--connections", type=int, default=10)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--dispatchers", type=int, default=1, help="dispatcher processes claiming from the same outbox")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="lessonloop-bench-"))
    sink_proc, sink, kind = (None, args.sink, "given sink") if args.sink else start_sink()
    ours: list[float] = []
    raw: list[float] = []
    ours_cpu: list[float] = []
    raw_cpu: list[float] = []
    source: list[float] = []
    try:
        message = await sample_message(workdir)
        for run in range(args.runs):
            url, drop = fresh_database(args.database_url, workdir, run)
            try:
                rate, sent, states, cpu = await lessonloop_run(url, sink, args)
            finally:
                drop()
            if sent != args.n:
                print(f"run {run}: sent {sent} of {args.n} (rows by status: {states})", file=sys.stderr)
            ours.append(rate)
            ours_cpu.append(cpu)
            raw_rate, cpu = await raw_loop(sink, args.n, args.connections, message)
            raw.append(raw_rate)
            raw_cpu.append(cpu)
            if (rate := smtp_source_rate(sink, args.n, args.connections, len(message))) is not None:
                source.append(rate)
    finally:
        if sink_proc:
            sink_proc.terminate()
        shutil.rmtree(workdir, ignore_errors=True)
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    database = "postgresql" if args.database_url else "sqlite"
    print(
        f"sink: {kind}; database: {database}; {args.n} messages of {len(message):,} bytes; {args.dispatchers} dispatcher(s) x "
        f"{args.connections} connections; batch {args.batch}; median of {args.runs}"
    )
    print(f"lessonloop end to end  {spread(ours)}   CPU {statistics.median(ours_cpu):.2f} ms a message (all threads)")
    print(
        f"raw aiosmtplib loop    {spread(raw)}   CPU {statistics.median(raw_cpu):.2f} ms a message; "
        f"lessonloop / raw = {statistics.median(ours) / statistics.median(raw):.2f}"
    )
    if source:
        print(
            f"smtp-source            {spread(source)}   lessonloop / smtp-source = "
            f"{statistics.median(ours) / statistics.median(source):.2f}"
        )
    else:
        print("smtp-source            not on PATH (Debian package postfix)")
    print(f"peak memory (max RSS): {peak_mib:,.0f} MiB")


if __name__ == "__main__":
    asyncio.run(main())
