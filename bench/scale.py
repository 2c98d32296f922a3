"""Organisation size: import a roster of N people, plan their due week, then an idle minute tick.

    uv run python bench/scale.py [--n 1000000] [--database-url URL] [--only import] [--seed sql]

- import: `lessonloop people import` in a child process: wall time, its CPU time and its peak memory (max
  RSS); `--only import` stops there (a 1,000,000-person import without planning it);
  with `--seed sql` the same people are written by one INSERT ... SELECT in the database instead (no import
  figures), to measure planning and the tick at sizes where the import itself would take the time;
- planning: run_planning at everyone's slot (all N due): seconds, and ms a person;
- idle tick: the scheduler's whole tick (plan, dispatch, channel posts, rollup, weekly) a minute later,
  when nobody is due: CPU seconds of this process;
- weekend tick: the tick's planning step (nudges, reminders, follow-ups, impact questions) on the Sunday after,
  everyone's nudge sent on the Thursday and unanswered (their reminders wait for the working week, so again
  nobody is due).

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

from sqlalchemy import create_engine, event, text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.compose import build_service
from bot.core import clock
from bot.core.db import upgrade
from bot.core.settings import Settings
from bot.jobs.planning import run_planning
from bot.jobs.scheduler import tick

ROLES = ["social-worker", "health-visitor", "midwife", "gp", "teacher", "early-years", "police", "volunteer"]
MEASURE_RSS = (
    "import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL); "
    "usage = resource.getrusage(resource.RUSAGE_CHILDREN); print(usage.ru_utime + usage.ru_stime, usage.ru_maxrss)"
)


def reset(url: str) -> None:
    """An empty database: PostgreSQL's public schema dropped and recreated, or a SQLite file and its WAL removed."""
    if url.startswith("postgresql"):
        engine = create_engine(url, isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    else:
        for suffix in ("", "-wal", "-shm"):
            Path(url.removeprefix("sqlite:///") + suffix).unlink(missing_ok=True)


def write_roster(path: Path, n: int) -> None:
    with path.open("w", encoding="utf-8") as out:
        out.write("email,name,role,team,agency,timezone,nudge_day,nudge_time\n")
        for i in range(n):
            out.write(
                f"person{i}@example.org,Person {i},{ROLES[i % len(ROLES)]},Team {i % 500},Agency {i % 10},"
                f"Europe/London,Tuesday,10:00\n"
            )


def seed_sql(url: str, n: int) -> None:
    """The roster write_roster describes, written in the database by one INSERT ... SELECT over a series
    (generate_series on PostgreSQL, a recursive CTE on SQLite): seconds at a million people."""
    upgrade(url)
    postgres = url.startswith("postgresql")
    series = (
        "SELECT generate_series(0, :n - 1) AS i"
        if postgres
        else "WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i + 1 < :n) SELECT i FROM s"
    )
    roles = " UNION ALL ".join(f"SELECT {k} AS k, '{role}' AS role" for k, role in enumerate(ROLES))
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(
            text(
                f"INSERT INTO team (name, agency, meeting_day, meeting_time, timezone, theme_posts) "
                f"SELECT 'Team ' || i, 'Agency ' || (i % 10), 2, '10:00', 'Europe/London', false FROM ({series}) s"
            ),
            {"n": min(n, 500)},
        )
        connection.execute(
            text(
                "INSERT INTO person (email, name, role, team_id, agency, timezone, nudge_day, nudge_time, channel, access,"
                " status, created_at, reminders) "
                f"SELECT 'person' || i || '@example.org', 'Person ' || i, r.role, t.id, 'Agency ' || (i % 10),"
                " 'Europe/London', 1, '10:00', 'email', 'member', 'active', :now, true"
                f" FROM ({series}) s JOIN ({roles}) r ON r.k = s.i % {len(ROLES)}"
                " JOIN team t ON t.name = 'Team ' || (s.i % 500) ORDER BY s.i"
            ),
            {"n": n, "now": datetime.now(timezone.utc).replace(tzinfo=None)},
        )
    engine.dispose()


def next_tuesday_slot() -> datetime:
    """A Tuesday 10:00 (London) ahead of the real clock, so the planned nudges are not due for sending."""
    now = datetime.now(timezone.utc)
    day = (now + timedelta(days=7)).date()
    while day.weekday() != 1 or day.month in (4, 5, 6, 7, 8, 9):  # Europe/London on UTC: slot = 10:00 UTC
        day += timedelta(days=1)
    return datetime(day.year, day.month, day.day, 10, 0, tzinfo=timezone.utc)


def import_roster(workdir: Path, url: str, n: int) -> tuple[float, float, float]:
    """`lessonloop people import` of n people in a child process: (seconds, its CPU seconds, peak MiB)."""
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
    child_cpu, maxrss = out.stdout.split()[-2:]
    return time.perf_counter() - began, float(child_cpu), int(maxrss) / 1024


class ServerCPU:
    """CPU seconds of the PostgreSQL backends serving an engine, when the server runs on this machine (their
    /proc entries readable): planning's work is split between this process and the server."""

    def __init__(self, engine) -> None:
        self.pids: set[int] = set()
        if engine.dialect.name == "postgresql":
            event.listen(engine, "connect", self._connected)

    def _connected(self, dbapi_connection, _record) -> None:
        with dbapi_connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            self.pids.add(cursor.fetchone()[0])
        dbapi_connection.rollback()  # left as SQLAlchemy hands it over: outside a transaction

    def seconds(self) -> float | None:
        try:
            fields = [Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split() for pid in self.pids]
        except OSError:
            return None  # a server elsewhere
        return sum(int(f[11]) + int(f[12]) for f in fields) / os.sysconf("SC_CLK_TCK") if self.pids else None


def run(n: int, url: str, *, seed: str = "import", only_import: bool = False) -> dict:
    workdir = Path(tempfile.mkdtemp(prefix="lessonloop-scale-"))
    url = url or f"sqlite:///{workdir / 'bench.db'}"
    reset(url)
    import_s = import_cpu_s = import_mib = None
    if seed == "sql":
        seed_sql(url, n)
    else:
        import_s, import_cpu_s, import_mib = import_roster(workdir, url, n)
        if only_import:
            shutil.rmtree(workdir)  # a million-person roster and its SQLite database: half a gigabyte
            return {"people": n, "import_s": import_s, "import_cpu_s": import_cpu_s, "import_peak_mib": import_mib}

    settings = Settings(env="dev", database_url=url, secret_key="bench-secret", mail_dir=workdir / "outbox")
    service = build_service(settings, with_channels=False)
    server = ServerCPU(service.engine)
    if url.startswith("postgresql"):  # statistics of the loaded tables, as autovacuum keeps them on a live database
        with service.engine.begin() as connection:
            connection.execute(text("ANALYZE"))
    slot = next_tuesday_slot()
    began, cpu, server_began = time.perf_counter(), time.process_time(), server.seconds() or 0.0
    result = run_planning(service, slot, keep_planned=False)
    plan_s, plan_cpu_s = time.perf_counter() - began, time.process_time() - cpu
    plan_server_s = None if (ended := server.seconds()) is None else ended - server_began

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
        # A weekend tick: everyone's nudge went on the Thursday and is unanswered; their reminders wait for the
        # working week and nobody is due. A tick that reads every unanswered nudge old enough in calendar days
        # pays for all N here, every minute of the weekend.
        with service.engine.begin() as connection:
            connection.execute(text("UPDATE delivery SET sent_at = :at"), {"at": (slot + timedelta(days=2)).replace(tzinfo=None)})
        # The tick's planning step alone: the statistics refresh that the UPDATE above sets off is not a
        # weekend's work (on a live service those sends were counted on the Thursday).
        sunday = slot + timedelta(days=5)
        run_planning(service, sunday, keep_planned=False)
        cpu, wall = time.process_time(), time.perf_counter()
        weekend = run_planning(service, sunday + timedelta(minutes=1), keep_planned=False)
        weekend_cpu, weekend_wall = time.process_time() - cpu, time.perf_counter() - wall
        assert weekend.inserted == 0, "nobody is due on the Sunday"
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
        "plan_cpu_s": plan_cpu_s,
        "plan_server_cpu_s": plan_server_s,
        "plan_ms_per_person": 1000 * plan_s / n,
        "idle_tick_cpu_s": tick_cpu,
        "idle_tick_wall_s": tick_wall,
        "weekend_tick_cpu_s": weekend_cpu,
        "weekend_tick_wall_s": weekend_wall,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--only", choices=["import"], help="measure the roster import alone (no planning or tick)")
    parser.add_argument("--seed", choices=["import", "sql"], default="import", help="how the people are written")
    args = parser.parse_args()
    r = run(args.n, args.database_url, seed=args.seed, only_import=args.only == "import")
    db = (args.database_url or "sqlite").split(":")[0]
    if args.only == "import":
        print(
            f"{db}, {r['people']:,} people: import {r['import_s']:.1f} s ({r['import_cpu_s']:.1f} s CPU in the importing "
            f"process), peak {r['import_peak_mib']:.0f} MiB"
        )
        print("RESULT " + json.dumps(r))
        return
    imported = (
        f"import {r['import_s']:.1f} s, peak {r['import_peak_mib']:.0f} MiB" if r["import_s"] is not None else "seeded by SQL"
    )
    server = f" + {r['plan_server_cpu_s']:.1f} s server CPU" if r["plan_server_cpu_s"] is not None else ""
    print(
        f"{db}, {r['people']:,} people: {imported}; "
        f"planning the due week {r['plan_s']:.1f} s, {r['plan_cpu_s']:.1f} s CPU{server} "
        f"({r['plan_ms_per_person']:.3f} ms a person, {r['planned']:,} planned); "
        f"idle tick {r['idle_tick_cpu_s']:.3f} s CPU ({r['idle_tick_wall_s']:.3f} s wall); "
        f"weekend tick's planning, all unanswered {r['weekend_tick_cpu_s']:.3f} s CPU ({r['weekend_tick_wall_s']:.3f} s wall)"
    )
    print("RESULT " + json.dumps(r))


if __name__ == "__main__":
    main()
