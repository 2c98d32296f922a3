"""Plan and send N nudges to an SMTP sink on loopback; print messages per second end to end (claim, load,
render, sign, send, record each outcome) beside two yardsticks run in the same round, on the same sink,
with the same number of connections and the same number of messages of the same size:

    smtp-source   Postfix's own SMTP client sending messages of the same size (the ceiling)
    raw loop      aiosmtplib `sendmail` of one pre-built message (no database, no rendering: what a plain
                  Python sender manages)

    uv run python bench/dispatch.py [--n 3000] [--runs 3] [--database-url postgresql://...]
                                    [--postfix-tools CMD]

SQLite always; PostgreSQL too when --database-url is given (its public schema is DROPPED and recreated each
run: give it a database of its own). Each ratio is taken within one round (ours, then the raw loop, then
smtp-source, back to back), then the median of --runs rounds with min and max, because on a shared machine
the rates of all three move together. The last line is RESULT {json} for bench/run_all.py.

Postfix's `smtp-sink` and `smtp-source` are found on PATH or in /usr/sbin (Debian package postfix), or run
through --postfix-tools CMD (default $POSTFIX_TOOLS): a command that runs the tool named by its first
argument, such as a script that unpacks Postfix's package without installing it. Without smtp-sink an
aiosmtpd sink stands in and smtp-source is left out."""

import argparse
import asyncio
import json
import multiprocessing
import os
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import aiosmtplib
from sqlalchemy import func, insert
from sqlmodel import Session, select

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.scale import reset
from bot.compose import build_service
from bot.core.db import upgrade
from bot.core.settings import Settings
from bot.jobs.dispatcher import dispatch_due
from bot.jobs.planning import run_planning
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


def postfix_tool(name: str, wrapper: str | None) -> list[str] | None:
    """The command that runs one of Postfix's test tools, or None when it cannot be found."""
    if wrapper:
        return [wrapper, name]
    found = shutil.which(name) or (f"/usr/sbin/{name}" if Path(f"/usr/sbin/{name}").exists() else None)
    return [found] if found else None


def start_sink(wrapper: str | None) -> tuple[subprocess.Popen, str, str]:
    port = free_port()
    smtp_sink = postfix_tool("smtp-sink", wrapper)
    if smtp_sink:
        cmd, kind = [*smtp_sink, "-u", "nobody", "-c", f"127.0.0.1:{port}", "1000"], "postfix smtp-sink"
    else:
        print("smtp-sink not found (Debian package postfix, or --postfix-tools); using an aiosmtpd sink", file=sys.stderr)
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


def dispatcher_process(settings: Settings, barrier, results) -> None:
    """One more dispatcher, as another replica runs it: its own process, engine and SMTP connections. It is
    started, has imported everything and opened its database connection before the clock starts, as a
    long-running replica has; then it sends, and reports what it sent and the CPU seconds that took."""

    async def run() -> None:
        service = build_service(settings)
        try:
            with service.engine.connect():  # the pool's first connection, as a running replica holds one
                pass
            barrier.wait()  # warm
            barrier.wait()  # the clock has started
            c0 = time.process_time()
            sent = (await dispatch_due(service, lambda: datetime.now(timezone.utc))).sent
            results.put((sent, time.process_time() - c0))
        finally:
            await service.close()

    asyncio.run(run())


def replicas_run(settings: Settings, n: int) -> tuple[int, float, float]:
    """N dispatcher processes claiming from one outbox, timed from when all are warm until all are done:
    messages sent, seconds, and CPU seconds of them all (and of this process meanwhile)."""
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(n + 1), context.Queue()
    processes = [context.Process(target=dispatcher_process, args=(settings, barrier, results)) for _ in range(n)]
    for process in processes:
        process.start()
    try:
        barrier.wait(timeout=120)  # every replica is warm
        t0, c0 = time.perf_counter(), time.process_time()
        barrier.wait(timeout=120)  # go
        done = [results.get(timeout=600) for _ in processes]
        elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
    finally:
        for process in processes:
            process.join(timeout=60)
    return sum(sent for sent, _ in done), elapsed, cpu + sum(used for _, used in done)


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


def fresh_database(postgres: str | None, workdir: Path, run: int) -> str:
    """An empty database for one run: a new SQLite file, or the given PostgreSQL database's public schema
    dropped and recreated."""
    if not postgres:
        return f"sqlite:///{workdir / f'bench{run}.db'}"
    url = Settings(database_url=postgres).sqlalchemy_url()
    reset(url)
    return url


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


async def lessonloop_run(url: str, sink: str, args) -> tuple[float, int, dict, float]:
    """Messages a second end to end, how many were sent, rows by status, and CPU ms a message (all threads)."""
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
        if args.dispatchers == 1:
            t0, c0 = time.perf_counter(), time.process_time()
            sent = (await dispatch_due(service, lambda: datetime.now(timezone.utc))).sent
            elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
        else:
            sent, elapsed, cpu = replicas_run(settings, args.dispatchers)
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


def smtp_source_rate(tool: list[str] | None, sink: str, n: int, connections: int, size: int) -> float | None:
    if tool is None:
        return None
    t0 = time.perf_counter()
    command = [*tool, "-d", "-s", str(connections), "-m", str(n), "-l", str(size)]
    subprocess.run(
        [*command, "-f", "lessonloop@localhost", "-t", "person@example.org", sink], check=True, stdout=subprocess.DEVNULL
    )
    return n / (time.perf_counter() - t0)


@dataclass
class Rounds:
    """One database's rounds: each list has a value a round."""

    ours: list[float]
    raw: list[float]
    source: list[float]
    ours_cpu: list[float]
    raw_cpu: list[float]


def spread(values: list[float], fmt: str = "{:,.0f}") -> str:
    if not values:
        return "-"
    if len(values) == 1:
        return fmt.format(values[0])
    return f"{fmt.format(statistics.median(values))} ({fmt.format(min(values))}-{fmt.format(max(values))})"


async def measure(database: str | None, sink: str, source: list[str] | None, message: bytes, workdir: Path, args) -> Rounds:
    rounds = Rounds([], [], [], [], [])
    yardstick_connections = args.connections * args.dispatchers  # the same number of connections in all
    for run in range(args.runs):
        url = fresh_database(database, workdir, run)
        rate, sent, states, cpu = await lessonloop_run(url, sink, args)
        if sent != args.n:
            print(f"run {run}: sent {sent} of {args.n} (rows by status: {states})", file=sys.stderr)
        rounds.ours.append(rate)
        rounds.ours_cpu.append(cpu)
        raw_rate, raw_cpu = await raw_loop(sink, args.n, yardstick_connections, message)
        rounds.raw.append(raw_rate)
        rounds.raw_cpu.append(raw_cpu)
        if (source_rate := smtp_source_rate(source, sink, args.n, yardstick_connections, len(message))) is not None:
            rounds.source.append(source_rate)
    if database:
        reset(Settings(database_url=database).sqlalchemy_url())
    return rounds


def report(name: str, r: Rounds) -> dict[str, float]:
    """Print one database's figures; the RESULT entries: medians of the rounds, ratios taken round by round."""
    vs_raw = [ours / raw for ours, raw in zip(r.ours, r.raw)]
    vs_source = [ours / source for ours, source in zip(r.ours, r.source)]
    print(f"{name}:")
    print(f"  lessonloop end to end  {spread(r.ours)}/s   CPU {spread(r.ours_cpu, '{:.2f}')} ms a message (all threads)")
    print(f"  raw aiosmtplib loop    {spread(r.raw)}/s   CPU {spread(r.raw_cpu, '{:.2f}')} ms a message")
    print(f"  smtp-source            {spread(r.source)}/s" if r.source else "  smtp-source            not found")
    print(f"  lessonloop / raw loop = {spread(vs_raw, '{:.2f}')}; lessonloop / smtp-source = {spread(vs_source, '{:.2f}')}")
    result = {
        "rate": statistics.median(r.ours),
        "raw_rate": statistics.median(r.raw),
        "cpu_ms": statistics.median(r.ours_cpu),
        "raw_cpu_ms": statistics.median(r.raw_cpu),
        "vs_raw": statistics.median(vs_raw),
    }
    if r.source:
        result |= {"source_rate": statistics.median(r.source), "vs_source": statistics.median(vs_source)}
    return {f"{name.lower()}_{key}": value for key, value in result.items()}


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=3000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sink", help="HOST:PORT of a running SMTP sink")
    parser.add_argument("--database-url", help="also PostgreSQL: its public schema is DROPPED and recreated each run")
    parser.add_argument("--connections", type=int, default=10)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--dispatchers", type=int, default=1, help="dispatcher processes claiming from the same outbox")
    parser.add_argument(
        "--postfix-tools",
        default=os.environ.get("POSTFIX_TOOLS"),
        help="a command that runs the Postfix tool named by its first argument (default $POSTFIX_TOOLS, else PATH)",
    )
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="lessonloop-bench-"))
    sink_proc, sink, kind = (None, args.sink, "given sink") if args.sink else start_sink(args.postfix_tools)
    source = postfix_tool("smtp-source", args.postfix_tools)
    result: dict[str, float] = {}
    try:
        message = await sample_message(workdir)
        print(
            f"sink: {kind}; {args.n:,} messages of {len(message):,} bytes; {args.dispatchers} dispatcher(s) x "
            f"{args.connections} connections (the yardsticks: {args.dispatchers * args.connections}); median of {args.runs} (min-max)"
        )
        databases = [("SQLite", None)] + ([("PostgreSQL", args.database_url)] if args.database_url else [])
        for name, database in databases:
            result |= report(name, await measure(database, sink, source, message, workdir, args))
    finally:
        if sink_proc:
            sink_proc.terminate()
        shutil.rmtree(workdir, ignore_errors=True)
    result["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result["message_bytes"] = len(message)
    print(f"peak memory of this process (max RSS): {result['peak_rss_mib']:,.0f} MiB")
    print("RESULT " + json.dumps({key: round(value, 3) for key, value in result.items()}))


if __name__ == "__main__":
    asyncio.run(main())
