"""Generate N replies on PostgreSQL and time the dashboard's queries; print p50/p95 (target: p95 < 300 ms).

    uv run python bench/stats.py [--n 1000000] [--database-url postgresql://postgres@127.0.0.1:5432/wt_digests]
                                 [--repeat 20] [--keep]

The database's public schema is DROPPED and recreated: give it a database of its own. The history is
written with COPY: 200 teams in 10 agencies over 52 weeks, about 80% of nudges answered. Timed per
request as the dashboard makes it: the overview (week, theme and role tables and the barriers) and the
team table, for an admin (everything), a safeguarding lead (one agency) and a team lead (one team)."""

import argparse
import json
import threading
import random
import statistics
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path

import psycopg
from sqlalchemy import create_engine, text
from sqlmodel import Session

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.core.db import upgrade
from bot.compose import build_service
from bot.core.settings import Settings
from bot.core.stats import overview, refresh_rollup, stats_table
from schedules.slots import week_key
from schedules.statistics import Filter

ROLES = ["social-worker", "health-visitor", "midwife", "gp", "teacher", "early-years", "police", "volunteer"]
PRACTICE = ["changed", "already", "not_yet", "not_relevant"]
TEAMS, AGENCIES, WEEKS = 200, 10, 52
REFLECTIONS = [
    "No time this week with my caseload.",
    "Waiting on the GP to call back.",
    "I tried it at a home visit.",
    None,
    None,
    None,
    None,
]


def reset(url: str) -> None:
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    upgrade(url)


def generate(dsn: str, n_replies: int, lessons: list) -> None:
    rng = random.Random(1)
    deliveries = int(n_replies / 0.8)
    people = max(TEAMS, deliveries // WEEKS)
    start = date(2025, 11, 24)
    with psycopg.connect(dsn) as conn, conn.cursor() as cur:
        with cur.copy("COPY team (id, name, agency, meeting_day, meeting_time, timezone) FROM STDIN") as copy:
            for t in range(TEAMS):
                copy.write_row((t + 1, f"Team {t + 1}", f"Agency {t % AGENCIES + 1}", 2, "10:00", "Europe/London"))
        with cur.copy(
            "COPY person (id, email, name, role, team_id, agency, timezone, nudge_day, nudge_time, channel, access, status, created_at) FROM STDIN"
        ) as copy:
            for p in range(people):
                t = p % TEAMS
                copy.write_row(
                    (
                        p + 1,
                        f"p{p}@example.org",
                        f"P {p}",
                        ROLES[p % len(ROLES)],
                        t + 1,
                        f"Agency {t % AGENCIES + 1}",
                        "Europe/London",
                        1,
                        "10:00",
                        "email",
                        "member",
                        "active",
                        datetime(2025, 1, 1),
                    )
                )
        replies = 0
        with cur.copy(
            "COPY delivery (id, person_id, kind, period, lesson_id, lesson_version, is_review, role, team_id, agency, channel, status, due_at, attempts, sent_at, created_at, record_key) FROM STDIN"
        ) as copy:
            for d in range(deliveries):
                p, w = d % people, d // people
                lesson = lessons[(p * 7 + w) % len(lessons)]
                at = datetime.combine(start + timedelta(weeks=w), datetime.min.time()) + timedelta(hours=10)
                t = p % TEAMS
                copy.write_row(
                    (
                        d + 1,
                        p + 1,
                        "nudge",
                        week_key(at.date()),
                        lesson.id,
                        lesson.version,
                        False,
                        ROLES[p % len(ROLES)],
                        t + 1,
                        f"Agency {t % AGENCIES + 1}",
                        "email",
                        "sent",
                        at,
                        1,
                        at,
                        at,
                        rng.randrange(256),
                    )
                )
        with cur.copy(
            "COPY reply (id, delivery_id, person_id, lesson_id, lesson_version, check_answer, check_correct, practice, reflection, created_at, updated_at) FROM STDIN"
        ) as copy:
            for d in range(deliveries):
                if replies >= n_replies or rng.random() > 0.8:
                    continue
                p, w = d % people, d // people
                lesson = lessons[(p * 7 + w) % len(lessons)]
                at = datetime.combine(start + timedelta(weeks=w), datetime.min.time()) + timedelta(hours=12)
                correct = rng.random() < 0.75
                replies += 1
                copy.write_row(
                    (
                        replies,
                        d + 1,
                        p + 1,
                        lesson.id,
                        lesson.version,
                        1,
                        correct,
                        rng.choice(PRACTICE),
                        rng.choice(REFLECTIONS),
                        at,
                        at,
                    )
                )
        for table in ("team", "person", "delivery", "reply"):
            cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
        conn.commit()
        conn.autocommit = True
        cur.execute("VACUUM ANALYZE")
        cur.execute("SELECT count(*) FROM reply")
        print(f"generated {cur.fetchone()[0]:,} replies to {deliveries:,} nudges; {people:,} people in {TEAMS} teams")


def recount_blocking(service) -> dict:
    """Force the 6-hourly distinct-people recount and, while it runs, time one-row writes (an audit event
    every 20 ms) and dashboard pages: the longest either waited is what the recount blocks."""
    with service.engine.begin() as connection:
        connection.execute(text("UPDATE statstate SET people_at = '2000-01-01'"))
    done = threading.Event()
    took: list[float] = []

    def recount() -> None:
        began = time.perf_counter()
        refresh_rollup(service)
        took.append(time.perf_counter() - began)
        done.set()

    thread = threading.Thread(target=recount)
    thread.start()
    writes, pages = [], []
    while not done.is_set():
        began = time.perf_counter()
        with service.engine.begin() as connection:
            connection.execute(text("INSERT INTO auditevent (at, actor, action, detail) VALUES (now(), 'bench', 'bench', '')"))
        writes.append(time.perf_counter() - began)
        began = time.perf_counter()
        with Session(service.engine) as session:
            overview(service, session, where=Filter(team_id=17))
        pages.append(time.perf_counter() - began)
        time.sleep(0.02)
    thread.join()
    return {
        "recount_s": took[0],
        "max_write_wait_ms": 1000 * max(writes),
        "max_page_ms_during_recount": 1000 * max(pages),
        "median_page_ms_during_recount": 1000 * statistics.median(pages),
        "pages_during_recount": len(pages),
    }


def time_requests(service, scopes: dict[str, Filter], repeat: int) -> list[float]:
    p95s = []
    for name, where in scopes.items():
        samples = []
        for _ in range(repeat):
            began = time.perf_counter()
            with Session(service.engine) as session:
                overview(service, session, where=where)
                stats_table(service, session, by="team", where=where, refresh_first=False)
            samples.append((time.perf_counter() - began) * 1000)
        samples.sort()
        p95 = samples[min(len(samples) - 1, round(0.95 * (len(samples) - 1)))]
        print(f"dashboard page, {name:28} p50 {statistics.median(samples):7.1f} ms   p95 {p95:7.1f} ms   ({repeat} runs)")
        p95s.append(p95)
    return p95s


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="replies to generate")
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/wt_digests")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--keep", action="store_true", help="reuse the data already there")
    parser.add_argument("--no-rebuild", action="store_true", help="with --keep: time the pages only, on the rollup already there")
    args = parser.parse_args()
    settings = Settings(env="dev", database_url=args.database_url)
    url = settings.sqlalchemy_url()
    service = build_service(settings, with_channels=False)
    if not args.keep:
        reset(url)
        began = time.perf_counter()
        generate(args.database_url, args.n, sorted(service.lessons.values(), key=lambda l: l.id))
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
    blocking = recount_blocking(service)
    print(
        f"people recount: {blocking['recount_s']:.1f} s; meanwhile the longest one-row write took "
        f"{blocking['max_write_wait_ms']:.0f} ms and the longest dashboard page {blocking['max_page_ms_during_recount']:.0f} ms (median {blocking['median_page_ms_during_recount']:.0f} ms "
        f"over {blocking['pages_during_recount']} pages)"
    )
    print("RESULT " + json.dumps({"replies": args.n, "dashboard_p95_ms": max(p95s), **blocking}))
    service.engine.dispose()


if __name__ == "__main__":
    main()
