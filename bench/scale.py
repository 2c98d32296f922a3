"""Organisation size: import a roster of N people, plan their due week, then an idle minute tick.

    uv run python bench/scale.py [--n 1000000] [--database-url URL] [--only import]

- import: `lessonloop people import` in a child process: wall time, its CPU time and its peak memory (max
  RSS); `--only import` stops there (a 1,000,000-person import without planning it);
- planning: run_planning at everyone's slot (all N due): seconds, and ms a person;
- idle tick: the scheduler's whole tick (plan, dispatch, channel posts, rollup, weekly) a minute later,
  when nobody is due: CPU seconds of this process.

A PostgreSQL URL's public schema is DROPPED and recreated: give it a database of its own. The last line is
RESULT {json} for bench/run_all.py."""

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.compose import build_service
from bot.core import clock
from bot.core.settings import Settings
from bot.jobs.planning import run_planning
from bot.jobs.scheduler import tick

ROLES = ["social-worker", "health-visitor", "midwife", "gp", "teacher", "early-years", "police", "volunteer"]
MEASURE_RSS = (
    "import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL); "
    "usage = resource.getrusage(resource.RUSAGE_CHILDREN); print(usage.ru_utime + usage.ru_stime, usage.ru_maxrss)"
)


def reset(url: str) -> None:
    if url.startswith("postgresql"):
        engine = create_engine(url, isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        engine.dispose()


def write_roster(path: Path, n: int) -> None:
    with path.open("w", encoding="utf-8") as out:
        out.write("email,name,role,team,agency,timezone,nudge_day,nudge_time\n")
        for i in range(n):
            out.write(
                f"person{i}@example.org,Person {i},{ROLES[i % len(ROLES)]},Team {i % 500},Agency {i % 10},"
                f"Europe/London,Tuesday,10:00\n"
            )


def next_tuesday_slot() -> datetime:
    """A Tuesday 10:00 (London) ahead of the real clock, so the planned nudges are not due for sending."""
    now = datetime.now(timezone.utc)
    day = (now + timedelta(days=7)).date()
    while day.weekday() != 1 or day.month in (4, 5, 6, 7, 8, 9):  # Europe/London on UTC: slot = 10:00 UTC
        day += timedelta(days=1)
    return datetime(day.year, day.month, day.day, 10, 0, tzinfo=timezone.utc)


def run(n: int, url: str, only_import: bool = False) -> dict:
    workdir = Path(tempfile.mkdtemp(prefix="lessonloop-scale-"))
    url = url or f"sqlite:///{workdir / 'bench.db'}"
    reset(url)
    roster = workdir / "roster.csv"
    write_roster(roster, n)
    env = {**os.environ, "LESSONLOOP_ENV": "dev", "LESSONLOOP_DATABASE_URL": url, "LESSONLOOP_SECRET_KEY": "bench-secret"}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    exe = str(Path(sys.executable).parent / "lessonloop")
    began = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", MEASURE_RSS, exe, "people", "import", str(roster)],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    import_s = time.perf_counter() - began
    child_cpu, maxrss = out.stdout.split()[-2:]
    import_cpu_s, import_mib = float(child_cpu), int(maxrss) / 1024
    if only_import:
        shutil.rmtree(workdir)  # a million-person roster and its SQLite database: half a gigabyte
        return {"people": n, "import_s": import_s, "import_cpu_s": import_cpu_s, "import_peak_mib": import_mib}

    settings = Settings(env="dev", database_url=url, secret_key="bench-secret", mail_dir=workdir / "outbox")
    service = build_service(settings, with_channels=False)
    slot = next_tuesday_slot()
    began = time.perf_counter()
    result = run_planning(service, slot, keep_planned=False)
    plan_s = time.perf_counter() - began

    # as if the dispatcher had sent them all an hour ago (by the real clock, which the rollup reads); then the real tick, a minute later, with nobody due
    with service.engine.begin() as connection:
        connection.execute(
            text("UPDATE delivery SET status = 'sent', sent_at = :at"),
            {"at": (datetime.now(timezone.utc) - timedelta(hours=1)).replace(tzinfo=None)},
        )
    later = slot + timedelta(minutes=1)
    real_utcnow = clock.utcnow
    sys.modules["bot.jobs.scheduler"].utcnow = lambda: later
    try:
        asyncio.run(tick(service))  # first tick after planning: rollup and weekly state settle
        cpu = time.process_time()
        wall = time.perf_counter()
        asyncio.run(tick(service))
        tick_cpu, tick_wall = time.process_time() - cpu, time.perf_counter() - wall
    finally:
        sys.modules["bot.jobs.scheduler"].utcnow = real_utcnow
    service.engine.dispose()
    return {
        "people": n,
        "import_s": import_s,
        "import_cpu_s": import_cpu_s,
        "import_peak_mib": import_mib,
        "planned": result.inserted,
        "plan_s": plan_s,
        "plan_ms_per_person": 1000 * plan_s / n,
        "idle_tick_cpu_s": tick_cpu,
        "idle_tick_wall_s": tick_wall,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--only", choices=["import"], help="measure the roster import alone (no planning or tick)")
    args = parser.parse_args()
    r = run(args.n, args.database_url, only_import=args.only == "import")
    db = (args.database_url or "sqlite").split(":")[0]
    if args.only == "import":
        print(
            f"{db}, {r['people']:,} people: import {r['import_s']:.1f} s ({r['import_cpu_s']:.1f} s CPU in the importing "
            f"process), peak {r['import_peak_mib']:.0f} MiB"
        )
        print("RESULT " + json.dumps(r))
        return
    print(
        f"{db}, {r['people']:,} people: import {r['import_s']:.1f} s, peak {r['import_peak_mib']:.0f} MiB; "
        f"planning the due week {r['plan_s']:.1f} s ({r['plan_ms_per_person']:.3f} ms a person, {r['planned']:,} planned); "
        f"idle tick {r['idle_tick_cpu_s']:.3f} s CPU ({r['idle_tick_wall_s']:.3f} s wall)"
    )
    print("RESULT " + json.dumps(r))


if __name__ == "__main__":
    main()
