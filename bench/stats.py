"""Generate N replies, time the dashboard's queries (target: p95 <= 300 ms), and measure what the 6-hourly
distinct-people recount blocks (target: no write and no page blocked for more than 100 ms).

    uv run python bench/stats.py [--n 1000000] [--database-url sqlite:///… | postgresql://…] [--repeat 20]
                                 [--keep [--no-rebuild]] [--recounts 3]

A PostgreSQL URL's public schema is DROPPED and recreated, a SQLite file deleted: give it a database of its own
(default: a SQLite file in the temporary folder). The history is written by bulk SQL (INSERT … SELECT over a
series, the same statements on both databases): 200 teams in 10 agencies over 52 weeks, about 80% of nudges
answered. Timed per request as the dashboard makes it: the overview (week, theme and role tables and the
barriers) and the team table, for an admin (everything), a safeguarding lead (one agency) and a team lead.

The recount runs as the tick runs it: in a process of its own at the jobs process's niceness. Meanwhile this
process alternates a one-row write (an audit event) and a team lead's dashboard page, and does the same
before and after it, so "blocked" is measured two ways:
- lock waits, directly: on PostgreSQL by sampling pg_stat_activity every few ms for the probes' backends
  waiting on a lock (wait_event_type 'Lock', e.g. the refresher's advisory lock); on SQLite the write is
  tried with no busy timeout and retried until it gets the write lock (the wait is the time to get it);
- the excess of an operation's time during the recount over the same operation without it (p95 against
  p95, max against max), which also counts CPU the recount takes from the page on a 2-core machine."""

import argparse
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import psycopg
from sqlalchemy import Engine, create_engine, text
from sqlmodel import Session

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.scale import reset as empty
from bot.compose import build_service
from bot.core.db import make_engine, upgrade
from bot.core.settings import Settings
from bot.core.stats import overview, refresh_rollup, stats_table
from bot.jobs.runner import JOBS_NICENESS
from schedules.slots import week_key
from schedules.statistics import Filter

ROLES = ["social-worker", "health-visitor", "midwife", "gp", "teacher", "early-years", "police", "volunteer"]
PRACTICE = ["changed", "already", "not_yet", "not_relevant"]
TEAMS, AGENCIES, WEEKS = 200, 10, 52
REFLECTIONS = ["No time this week with my caseload.", "Waiting on the GP to call back.", "I tried it at a home visit."]
DEFAULT_URL = f"sqlite:///{tempfile.gettempdir()}/lessonloop_bench_stats.db"
PROBE_SCOPE = Filter(team_id=17)  # a team lead's page: the page most people open


def reset(url: str) -> None:
    empty(url)
    upgrade(url)


def _rand(n: str, salt: int) -> str:
    """A fixed pseudo-random number 0-65535 for the row numbered `n`, in SQL both databases compute alike."""
    return f"(((({n} + {salt}) * 2654435761) % 4294967296) / 65536)"


def _pick(values: list[str | None], n: str, salt: int) -> str:
    whens = " ".join(f"WHEN {i} THEN {'NULL' if v is None else repr(v)}" for i, v in enumerate(values))
    return f"CASE {_rand(n, salt)} % {len(values)} {whens} END"


def generate(engine: Engine, n_replies: int, lessons: list) -> None:
    """The history in a few INSERT … SELECT statements over a numbered series, joined to two small tables
    (the weeks with their ISO keys and times, the lessons), so a million replies take seconds, not a Python loop."""
    deliveries = int(n_replies / 0.8)
    people = max(TEAMS, deliveries // WEEKS)
    start = date(2025, 11, 24)
    postgres = engine.dialect.name == "postgresql"
    series = (
        "generate_series(0, {n} - 1) AS s(d)"
        if postgres
        else "(WITH RECURSIVE r(d) AS (SELECT 0 UNION ALL SELECT d + 1 FROM r WHERE d + 1 < {n}) SELECT d FROM r) AS s"
    )
    # When the SQL stores the times itself, SQLite needs them as SQLAlchemy writes them (text, with microseconds).
    stamp = (lambda at: at) if postgres else (lambda at: f"{at:%Y-%m-%d %H:%M:%S.%f}")
    agency = f"'Agency ' || ((s.d % {TEAMS}) % {AGENCIES} + 1)"
    role = f"CASE (s.d % {len(ROLES)}) {' '.join(f'WHEN {i} THEN {r!r}' for i, r in enumerate(ROLES))} END"
    with engine.begin() as c:
        c.execute(
            text("CREATE TEMPORARY TABLE bench_week (w INTEGER, period VARCHAR(16), sent_at TIMESTAMP, replied_at TIMESTAMP)")
        )
        c.execute(text("CREATE TEMPORARY TABLE bench_lesson (i INTEGER, id VARCHAR(80), version VARCHAR(16))"))
        weeks = []
        for w in range(deliveries // people + 1):
            sent = datetime.combine(start + timedelta(weeks=w), datetime.min.time()) + timedelta(hours=10)
            weeks.append(
                {"w": w, "period": week_key(sent.date()), "sent_at": stamp(sent), "replied_at": stamp(sent + timedelta(hours=2))}
            )
        c.execute(text("INSERT INTO bench_week VALUES (:w, :period, :sent_at, :replied_at)"), weeks)
        c.execute(
            text("INSERT INTO bench_lesson VALUES (:i, :id, :version)"),
            [{"i": i, "id": lesson.id, "version": lesson.version} for i, lesson in enumerate(lessons)],
        )
        c.execute(
            text(
                "INSERT INTO team (id, name, agency, meeting_day, meeting_time, timezone, theme_posts) "
                f"SELECT s.d + 1, 'Team ' || (s.d + 1), {agency}, 2, '10:00', 'Europe/London', FALSE FROM {series.format(n=TEAMS)}"
            )
        )
        c.execute(
            text(
                "INSERT INTO person (id, email, name, role, team_id, agency, timezone, nudge_day, nudge_time, channel, access, "
                "status, created_at, reminders, next_plan_at) "
                f"SELECT s.d + 1, 'p' || s.d || '@example.org', 'P ' || s.d, {role}, s.d % {TEAMS} + 1, {agency}, "
                "'Europe/London', 1, '10:00', 'email', 'member', 'active', :created, TRUE, :created "
                f"FROM {series.format(n=people)}"
            ),
            {"created": stamp(datetime(2025, 1, 1))},
        )
        # Delivery d goes to person p = d % people in week d // people (each person's lessons in a fixed rotation).
        person = f"(s.d % {people})"
        c.execute(
            text(
                "INSERT INTO delivery (id, person_id, kind, period, lesson_id, lesson_version, is_review, role, team_id, agency, "
                "channel, status, due_at, attempts, sent_at, created_at, record_key) "
                f"SELECT s.d + 1, {person} + 1, 'nudge', w.period, l.id, l.version, FALSE, "
                f"{role.replace('s.d', person)}, {person} % {TEAMS} + 1, {agency.replace('s.d', person)}, 'email', 'sent', "
                f"w.sent_at, 1, w.sent_at, w.sent_at, {_rand('s.d', 5)} % 256 "
                f"FROM {series.format(n=deliveries)} JOIN bench_week w ON w.w = s.d / {people} "
                f"JOIN bench_lesson l ON l.i = ({person} * 7 + s.d / {people}) % {len(lessons)}"
            )
        )
        c.execute(
            text(
                "INSERT INTO reply (delivery_id, person_id, lesson_id, lesson_version, check_answer, check_correct, practice, "
                "reflection, created_at, updated_at) "
                f"SELECT d.id, d.person_id, d.lesson_id, d.lesson_version, 1, "
                f"CASE WHEN {_rand('d.id', 2)} % 4 < 3 THEN TRUE ELSE FALSE END, {_pick(PRACTICE, 'd.id', 3)}, "
                f"{_pick([*REFLECTIONS, None, None, None, None], 'd.id', 4)}, w.replied_at, w.replied_at "
                f"FROM delivery d JOIN bench_week w ON w.period = d.period "
                f"WHERE {_rand('d.id', 1)} % 10 < 8 ORDER BY d.id LIMIT {n_replies}"
            )
        )
        if postgres:
            for table in ("team", "person", "delivery", "reply"):
                c.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
        if postgres:  # as autovacuum would have by now; SQLite is never analyzed (the service does not)
            c.execute(text("VACUUM ANALYZE"))
        replies = c.execute(text("SELECT count(*) FROM reply")).scalar_one()
    print(f"generated {replies:,} replies to {deliveries:,} nudges; {people:,} people in {TEAMS} teams")


def _p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


class LockWaits:
    """PostgreSQL: samples pg_stat_activity every few ms for backends whose application_name starts with
    `prefix` and records how long each waited on a lock, per probe name (the longest, and the total)."""

    def __init__(self, dsn: str, prefix: str = "bench-probe"):
        self.dsn, self.prefix = dsn, prefix
        self.longest: dict[str, float] = {}
        self.total: dict[str, float] = {}
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> "LockWaits":
        self.thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self.stop.set()
        self.thread.join()

    def _run(self) -> None:
        began: dict[int, tuple[str, float]] = {}  # pid -> (probe, when its current lock wait was first seen)
        with psycopg.connect(self.dsn, autocommit=True) as conn:
            query = "SELECT pid, application_name, wait_event_type FROM pg_stat_activity WHERE application_name LIKE %s"
            while not self.stop.is_set():
                now = time.perf_counter()
                waiting = {pid: name for pid, name, kind in conn.execute(query, (self.prefix + "%",)) if kind == "Lock"}
                for pid, name in waiting.items():
                    began.setdefault(pid, (name, now))
                for pid in [pid for pid in began if pid not in waiting]:
                    name, since = began.pop(pid)
                    self._add(name, now - since)
                time.sleep(0.003)
            for name, since in began.values():
                self._add(name, time.perf_counter() - since)

    def _add(self, name: str, seconds: float) -> None:
        self.longest[name] = max(self.longest.get(name, 0.0), seconds * 1000)
        self.total[name] = self.total.get(name, 0.0) + seconds * 1000


def _probe_engine(url: str, name: str) -> Engine:
    """An engine of the probe's own, named in pg_stat_activity so its lock waits can be told apart."""
    if url.startswith("postgresql"):
        return create_engine(url, connect_args={"application_name": name}, pool_size=2)
    return make_engine(url)


def one_write(url: str, engine: Engine) -> tuple[float, float]:
    """A one-row write; (its time, how long of it was spent waiting for a lock; None on PostgreSQL: sampled)."""
    began = time.perf_counter()
    if engine.dialect.name == "sqlite":
        # No busy timeout: a locked database answers at once, so the wait for the write lock is measured here.
        conn = sqlite3.connect(url.removeprefix("sqlite:///"), timeout=0, isolation_level=None)
        try:
            while True:
                attempt = time.perf_counter()
                try:
                    conn.execute("BEGIN IMMEDIATE")
                    break
                except sqlite3.OperationalError:
                    time.sleep(0.0005)
            conn.execute("INSERT INTO auditevent (at, actor, action, detail) VALUES (datetime('now'), 'bench', 'bench', '')")
            conn.execute("COMMIT")
        finally:
            conn.close()
        return time.perf_counter() - began, attempt - began
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO auditevent (at, actor, action, detail) VALUES (now(), 'bench', 'bench', '')"))
    return time.perf_counter() - began, 0.0


def one_page(service, engine: Engine) -> float:
    began = time.perf_counter()
    with Session(engine) as session:
        overview(service, session, where=PROBE_SCOPE)
    return time.perf_counter() - began


def probe(service, url: str, engines: dict[str, Engine], until) -> dict[str, list[float]]:
    """Alternate a write and a page (20 ms apart) until `until()` says stop."""
    out: dict[str, list[float]] = {"write": [], "write_lock": [], "page": []}
    while not until():
        write, lock = one_write(url, engines["write"])
        out["write"].append(write * 1000)
        out["write_lock"].append(lock * 1000)
        out["page"].append(one_page(service, engines["page"]) * 1000)
        time.sleep(0.02)
    return out


def touch_a_reply(engine: Engine) -> None:
    """A reply changed now, in the newest week (what every refresh within the next 10 minutes recomputes)."""
    with engine.begin() as connection:
        newest = connection.execute(text("SELECT max(id) FROM reply")).scalar_one()
        now = datetime.now(timezone.utc).replace(tzinfo=None)
        connection.execute(
            text("UPDATE reply SET practice = 'changed', updated_at = :now WHERE id = :id"), {"now": now, "id": newest}
        )


def job_child(url: str, job: str) -> None:
    """Run in a process of its own (`--child recount|refresh`), as the jobs process runs the tick: one rollup
    refresh. "recount": with the people counts due, every all-time count changed (set to 0 first: the worst
    case, all of them written again). "refresh": the tick's every-minute refresh after a reply changed."""
    os.nice(JOBS_NICENESS)
    service = build_service(Settings(env="dev", database_url=url), with_channels=False)
    with service.engine.begin() as connection:
        if job == "recount":
            connection.execute(text("UPDATE statstate SET people_at = :old"), {"old": datetime(2000, 1, 1)})
            connection.execute(text("UPDATE statcell SET people = 0 WHERE period = '*'"))
        else:
            connection.execute(
                text("UPDATE statstate SET people_at = :now"), {"now": datetime.now(timezone.utc).replace(tzinfo=None)}
            )
    if job == "refresh":
        touch_a_reply(service.engine)
    print("START", flush=True)
    began, cpu = time.perf_counter(), time.process_time()
    refresh_rollup(service)
    print("DONE " + json.dumps({"s": time.perf_counter() - began, "cpu_s": time.process_time() - cpu}), flush=True)
    service.engine.dispose()


class Job:
    """The child process running a job (job_child), and when it started and finished its work."""

    def __init__(self, raw_url: str, job: str):
        args = [sys.executable, __file__, "--child", job, "--database-url", raw_url]
        self.process = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
        self.started, self.result = threading.Event(), {}
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            if line.startswith("START"):
                self.started.set()
            elif line.startswith("DONE "):
                self.result = json.loads(line[len("DONE ") :])
        self.started.set()

    def running(self) -> bool:
        return self.process.poll() is None and not self.result

    def finish(self) -> dict:
        code = self.process.wait()
        self.reader.join()
        if code or not self.result:
            raise RuntimeError("the job's child process failed")
        return self.result


def blocking(service, url: str, raw_url: str, runs: int, job: str = "recount") -> dict:
    """`runs` runs of `job` (job_child), each with probes before, during and after it (`url` as SQLAlchemy takes
    it, `raw_url` as given: psycopg and the child process take that)."""
    engines = {"write": _probe_engine(url, "bench-probe-write"), "page": _probe_engine(url, "bench-probe-page")}
    quiet: dict[str, list[float]] = {"write": [], "write_lock": [], "page": []}
    busy: dict[str, list[float]] = {"write": [], "write_lock": [], "page": []}
    took: list[dict] = []
    sampler = LockWaits(raw_url) if url.startswith("postgresql") else None
    if sampler:
        sampler.__enter__()
    try:
        for _ in range(runs):
            for key, values in probe(service, url, engines, _for(1.5)).items():
                quiet[key] += values
            child = Job(raw_url, job)
            child.started.wait()  # its start-up (imports, the lesson bank) is not the recount
            for key, values in probe(service, url, engines, lambda c=child: not c.running()).items():  # type: ignore[misc]
                busy[key] += values
            took.append(child.finish())
            for key, values in probe(service, url, engines, _for(1.5)).items():
                quiet[key] += values
    finally:
        if sampler:
            sampler.__exit__()
        for engine in engines.values():
            engine.dispose()
    # SQLite: a page's only wait is its refresh's try for the write lock (at most rollup.PAGE_WAIT_MS); it is not
    # sampled, its excess below says it.
    lock_page = {"page_lock_wait_max_ms": sampler.longest.get("bench-probe-page", 0.0)} if sampler else {}
    lock_write = sampler.longest.get("bench-probe-write", 0.0) if sampler else max(busy["write_lock"] + quiet["write_lock"])
    return {
        f"{job}_s": statistics.median(t["s"] for t in took),
        f"{job}_cpu_s": statistics.median(t["cpu_s"] for t in took),
        "pages_during_recount": len(busy["page"]),
        **lock_page,
        "write_lock_wait_max_ms": lock_write,
        "page_p95_ms_quiet": _p95(quiet["page"]),
        "page_p95_ms_during_recount": _p95(busy["page"]),
        "page_max_ms_quiet": max(quiet["page"]),
        "page_max_ms_during_recount": max(busy["page"]),
        "page_excess_p95_ms": _p95(busy["page"]) - _p95(quiet["page"]),
        "page_excess_max_ms": max(busy["page"]) - max(quiet["page"]),
        "write_max_ms_quiet": max(quiet["write"]),
        "write_max_ms_during_recount": max(busy["write"]),
        "write_excess_max_ms": max(busy["write"]) - max(quiet["write"]),
    }


def _for(seconds: float):
    end = time.perf_counter() + seconds
    return lambda: time.perf_counter() >= end


def time_requests(service, scopes: dict[str, Filter], repeat: int, live: bool = False) -> list[float]:
    """Each scope's page `repeat` times; p95s. live: after a reply changed and the tick's refresh (within a minute
    of it); a refresh recomputes the weeks with replies in their last ten minutes, a page within 90 s of the
    tick's refresh reads the rollup as the tick left it (bot.core.stats.PAGE_FRESH_FOR)."""
    p95s = []
    for name, where in scopes.items():
        samples = []
        if live:
            touch_a_reply(service.engine)
            refresh_rollup(service)
            name = f"{name}, live"
        for _ in range(repeat):
            began = time.perf_counter()
            with Session(service.engine) as session:
                view = overview(service, session, where=where)
                stats_table(service, session, by="team", where=where, refresh_first=False, total=view.total)  # as the page does
            samples.append((time.perf_counter() - began) * 1000)
        p95 = _p95(samples)
        print(f"dashboard page, {name:28} p50 {statistics.median(samples):7.1f} ms   p95 {p95:7.1f} ms   ({repeat} runs)")
        p95s.append(p95)
    return p95s


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="replies to generate")
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--recounts", type=int, default=3, help="recounts to probe around")
    parser.add_argument("--keep", action="store_true", help="reuse the data already there")
    parser.add_argument("--no-rebuild", action="store_true", help="with --keep: time the pages only, on the rollup already there")
    parser.add_argument("--child", choices=("recount", "refresh"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    settings = Settings(env="dev", database_url=args.database_url)
    url = settings.sqlalchemy_url()
    if args.child:
        return job_child(args.database_url, args.child)
    if not args.keep:
        reset(url)
    service = build_service(settings, with_channels=False)
    database = service.engine.dialect.name
    if not args.keep:
        began = time.perf_counter()
        generate(service.engine, args.n, sorted(service.lessons.values(), key=lambda lesson: lesson.id))
        print(f"generation took {time.perf_counter() - began:.0f} s")
    if not (args.keep and args.no_rebuild):
        began = time.perf_counter()
        refresh_rollup(service, full=True)
        print(f"rollup, full rebuild: {time.perf_counter() - began:.1f} s")
    began = time.perf_counter()
    refresh_rollup(service)
    print(f"rollup, incremental refresh with nothing new: {(time.perf_counter() - began) * 1000:.0f} ms")
    scopes = {
        "admin (all)": Filter(),
        "safeguarding lead (agency)": Filter(agency="Agency 3"),
        "team lead (team)": Filter(team_id=17),
        "admin, last 12 weeks": Filter(start=date(2026, 9, 1)),
    }
    p95s = time_requests(service, scopes, args.repeat) if args.repeat else [0.0]
    figures = {"replies": args.n, "dashboard_p95_ms": max(p95s)}
    for job in ("recount", "refresh"):
        found = blocking(service, url, args.database_url, args.recounts, job)
        page_lock = f"{found['page_lock_wait_max_ms']:.0f} ms" if "page_lock_wait_max_ms" in found else "not sampled"
        print(
            f"{'people recount' if job == 'recount' else 'a tick after a reply'} ({database}): {found[f'{job}_s']:.1f} s. "
            f"Meanwhile the longest lock wait: page {page_lock}, one-row write {found['write_lock_wait_max_ms']:.0f} ms; team page "
            f"p95 {found['page_p95_ms_during_recount']:.0f} ms (without it {found['page_p95_ms_quiet']:.0f} ms), max "
            f"{found['page_max_ms_during_recount']:.0f} ms ({found['page_max_ms_quiet']:.0f} ms) over {found['pages_during_recount']} pages; "
            f"longest write {found['write_max_ms_during_recount']:.0f} ms ({found['write_max_ms_quiet']:.0f} ms)"
        )
        figures |= found if job == "recount" else {f"tick_{key}": value for key, value in found.items()}
    live = time_requests(service, scopes, args.repeat, live=True) if args.repeat else [0.0]
    print("RESULT " + json.dumps(figures | {"dashboard_p95_ms_live": max(live)}))
    service.engine.dispose()


if __name__ == "__main__":
    main()
