"""Every benchmark of issue 16 (and the CLI start-up of issue 11) in one run, each beside its yardstick, each
figure the median of --runs runs with min and max; writes the table to docs/benchmarks-table.md (linked from
docs/benchmarks.md, which keeps the hand-written notes on email dispatch and delivery faults).

    uv run python bench/run_all.py [--quick] [--runs 3] [--pg-url postgresql://postgres@127.0.0.1:5432/bench_i16]

--quick uses small sizes (a few minutes); without it the issue's sizes (1,000,000 people and replies, 30 s of
taps) take hours on a small machine. The PostgreSQL database's public schema is DROPPED: give it one of its own.
Each benchmark runs as its own process and reports a RESULT {json} line; this script only collects them."""

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.scale import reset

QUICK = {"taps_rate": 200, "taps_seconds": 3, "posts": 500, "people": 5000, "replies": 20000, "emails": 3000}
# the web and email sizes, organisations of 100,000 (bench/scale.py and bench/stats.py take --n 1000000 alone)
MEDIUM = {"taps_rate": 200, "taps_seconds": 30, "posts": 5000, "people": 100_000, "replies": 100_000, "emails": 10_000}
FULL = {"taps_rate": 200, "taps_seconds": 30, "posts": 5000, "people": 1_000_000, "replies": 1_000_000, "emails": 10_000}


def run_script(args: list[str], pg_url: str | None = None) -> dict:
    if pg_url:
        reset(pg_url)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    out = subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=6 * 3600)
    lines = [line for line in out.stdout.splitlines() if line.startswith("RESULT ")]
    if out.returncode or not lines:
        raise RuntimeError(f"{' '.join(args)} failed:\n{out.stdout[-2000:]}\n{out.stderr[-2000:]}")
    return json.loads(lines[-1][len("RESULT ") :])


def repeated(runs: int, args: list[str], pg_url: str | None = None) -> dict[str, list[float]]:
    samples: dict[str, list[float]] = {}
    for _ in range(runs):
        for key, value in run_script(args, pg_url).items():
            if value is not None:  # a figure this database does not have (the server's CPU on SQLite)
                samples.setdefault(key, []).append(float(value))
    return samples


def cell(values: list[float], unit: str = "", digits: int = 1) -> str:
    fmt = f"{{:,.{digits}f}}"
    if len(values) == 1:
        return fmt.format(values[0]) + unit
    return f"{fmt.format(statistics.median(values))}{unit} ({fmt.format(min(values))}-{fmt.format(max(values))})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--medium", action="store_true", help="the issue's web and email sizes, 100,000 people and replies")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--pg-url", default="postgresql://postgres@127.0.0.1:5432/bench_i16")
    parser.add_argument("--output", default=str(ROOT / "docs" / "benchmarks-table.md"))
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="web processes of lessonloop serve")
    args = parser.parse_args()
    size, runs, pg = (QUICK if args.quick else MEDIUM if args.medium else FULL), args.runs, args.pg_url
    began = time.time()
    rows: list[tuple[str, str, str, str]] = []  # what, lessonloop, yardstick, target

    workers = ["--workers", str(args.workers)]
    empty = repeated(runs, ["bench/reply_post.py", "--yardstick", "--n", str(size["posts"])])
    yardstick = (
        f"empty ASGI app, same server and client, concurrency 50: p99 {cell(empty['p99_ms'], ' ms', 0)}, "
        f"{cell(empty['req_per_s'], ' req/s', 0)}, server CPU {cell(empty['server_cpu_ms_per_req'], ' ms', 2)} a request"
    )
    for name, url in (("SQLite", None), ("PostgreSQL", pg)):
        on = ["--database-url", url] if url else []
        taps = repeated(
            runs,
            ["bench/ack_latency.py", "--rate", str(size["taps_rate"]), "--seconds", str(size["taps_seconds"]), *workers, *on],
            url,
        )
        rows.append(
            (
                f"Slack taps at {size['taps_rate']}/s for {size['taps_seconds']} s ({name}, {args.workers} web processes)",
                f"ack p50 {cell(taps['p50_ms'], ' ms', 0)}, p99 {cell(taps['p99_ms'], ' ms', 0)}, over 3 s {cell(taps['over_3s'], '', 0)}; "
                f"not answered {cell(taps['failures'], '', 0)}; stored {cell(taps['stored'], '', 0)} of {int(taps['taps'][0])}, the last {cell(taps['stored_after_s'], ' s', 2)} after the burst; "
                f"server CPU {cell(taps['server_cpu_ms_per_tap'], ' ms', 2)} a tap",
                yardstick,
                "p99 <= 100 ms, 0 over 3 s, all stored within 2 s",
            )
        )
    for name, url in (("SQLite", None), ("PostgreSQL", pg)):
        on = ["--database-url", url] if url else []
        post = repeated(runs, ["bench/reply_post.py", "--n", str(size["posts"]), *workers, *on], url)
        rows.append(
            (
                f"reply page POST, concurrency 50, {size['posts']:,} posts ({name}, {args.workers} web processes)",
                f"p50 {cell(post['p50_ms'], ' ms', 0)}, p99 {cell(post['p99_ms'], ' ms', 0)}; {cell(post['req_per_s'], ' req/s', 0)}; "
                f"stored {cell(post['stored_per_s'], '/s', 0)}; server CPU {cell(post['server_cpu_ms_per_req'], ' ms', 2)} a request",
                yardstick,
                "p99 <= 150 ms, >= 1,000 replies/s stored",
            )
        )
    for name, url in (("SQLite", None), ("PostgreSQL", pg)):
        scale = repeated(runs, ["bench/scale.py", "--n", str(size["people"]), *(["--database-url", url] if url else [])], url)
        rows.append(
            (
                f"roster import, {size['people']:,} people ({name})",
                f"{cell(scale['import_s'], ' s')}, peak {cell(scale['import_peak_mib'], ' MiB', 0)}",
                "",
                "1,000,000 people, <= 250 MiB peak",
            )
        )
        rows.append(
            (
                f"planning a due week, {size['people']:,} people ({name})",
                f"{cell(scale['plan_s'], ' s')} ({cell(scale['plan_ms_per_person'], ' ms', 3)} a person)",
                "",
                "1,000,000 people <= 60 s on PostgreSQL",
            )
        )
        rows.append(
            (
                f"idle minute tick, {size['people']:,} people ({name})",
                f"{cell(scale['idle_tick_cpu_s'], ' s CPU', 3)} ({cell(scale['idle_tick_wall_s'], ' s wall', 3)})",
                "",
                "<= 0.2 s CPU at 1,000,000 people",
            )
        )
        rows.append(
            (
                f"the tick's planning on a Sunday, {size['people']:,} people's Thursday nudges unanswered ({name})",
                f"{cell(scale['weekend_tick_cpu_s'], ' s CPU', 3)} ({cell(scale['weekend_tick_wall_s'], ' s wall', 3)})",
                "",
                "nobody is due: as the idle tick",
            )
        )
    # bench/dispatch.py measures both databases, each beside its yardsticks in the same round
    mail = repeated(runs, ["bench/dispatch.py", "--n", str(size["emails"]), "--runs", "1", "--database-url", pg], pg)
    for name, key in (("SQLite", "sqlite"), ("PostgreSQL", "postgresql")):
        rows.append(
            (
                f"email dispatch, {size['emails']:,} messages of {int(mail['message_bytes'][0]):,} bytes, 10 SMTP connections ({name})",
                f"{cell(mail[key + '_rate'], '/s', 0)}, CPU {cell(mail[key + '_cpu_ms'], ' ms', 2)} a message; "
                f"{cell(mail[key + '_vs_raw'], '', 2)} of the raw loop, "
                + (f"{cell(mail[key + '_vs_source'], '', 2)} of smtp-source" if key + "_vs_source" in mail else "no smtp-source"),
                f"raw aiosmtplib `sendmail` loop {cell(mail[key + '_raw_rate'], '/s', 0)} (CPU {cell(mail[key + '_raw_cpu_ms'], ' ms', 2)} "
                "a message); "
                + (
                    f"smtp-source {cell(mail[key + '_source_rate'], '/s', 0)}"
                    if key + "_source_rate" in mail
                    else "smtp-source not found"
                )
                + " (same sink and connections)",
                ">= 0.25 of smtp-source, >= 1.0 of the raw loop",
            )
        )
    for name, url in (("SQLite", None), ("PostgreSQL", pg)):
        stats_args = ["bench/stats.py", "--n", str(size["replies"]), "--repeat", "10", "--recounts", "2"]
        stats = repeated(runs, [*stats_args, *(["--database-url", url] if url else [])], url)
        page_lock = f"page {cell(stats['page_lock_wait_max_ms'], ' ms', 0)}, " if "page_lock_wait_max_ms" in stats else ""
        rows.append(
            (
                f"people recount, {size['replies']:,} replies ({name})",
                f"recount {cell(stats['recount_s'], ' s')}; longest lock wait meanwhile: {page_lock}one-row write "
                f"{cell(stats['write_lock_wait_max_ms'], ' ms', 0)}; team page p95 {cell(stats['page_p95_ms_during_recount'], ' ms', 0)} "
                f"(excess {cell(stats['page_excess_p95_ms'], ' ms', 0)}), longest write {cell(stats['write_max_ms_during_recount'], ' ms', 0)} "
                f"(excess {cell(stats['write_excess_max_ms'], ' ms', 0)})",
                f"the same probes without a recount: team page p95 {cell(stats['page_p95_ms_quiet'], ' ms', 0)}, "
                f"longest write {cell(stats['write_max_ms_quiet'], ' ms', 0)}",
                "blocks no write or page > 100 ms",
            )
        )
        tick_lock = (
            f"page {cell(stats['tick_page_lock_wait_max_ms'], ' ms', 0)}, " if "tick_page_lock_wait_max_ms" in stats else ""
        )
        rows.append(
            (
                f"the tick's refresh after a reply, {size['replies']:,} replies ({name})",
                f"{cell(stats['tick_refresh_s'], ' s', 2)}; longest lock wait meanwhile: {tick_lock}one-row write "
                f"{cell(stats['tick_write_lock_wait_max_ms'], ' ms', 0)}",
                "",
                "blocks no write or page > 100 ms",
            )
        )
        rows.append(
            (
                f"dashboard p95, {size['replies']:,} replies ({name})",
                f"{cell(stats['dashboard_p95_ms'], ' ms', 0)}; with a reply in the last 10 minutes, after the tick's refresh "
                f"{cell(stats['dashboard_p95_ms_live'], ' ms', 0)}",
                "",
                "<= 300 ms",
            )
        )
    cli = repeated(runs, ["bench/cli_startup.py", "--runs", "3"])
    rows.append(
        (
            "`lessonloop --help`",
            f"{cell(cli['--help wall_s'], ' s', 2)} wall, {cell(cli['--help cpu_s'], ' s', 2)} CPU",
            "",
            "<= 0.5 s",
        )
    )
    rows.append(
        (
            "`lessonloop lessons lint`",
            f"{cell(cli['lessons lint wall_s'], ' s', 2)} wall, {cell(cli['lessons lint cpu_s'], ' s', 2)} CPU",
            "",
            "<= 0.5 s",
        )
    )

    load = Path("/proc/loadavg").read_text().split()[:3] if Path("/proc/loadavg").exists() else ["?"] * 3
    text = [
        "# Benchmarks",
        "",
        f"Written by `uv run python bench/run_all.py{' --quick' if args.quick else ' --medium' if args.medium else ''} --runs {runs} --workers {args.workers}` on "
        f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC ({platform.machine()}, {os.cpu_count()} CPUs, load average at the end "
        f"{' '.join(load)}; took {(time.time() - began) / 60:.0f} min). Each figure: median of {runs} run(s) (min-max).",
        "Wall-clock figures move with whatever else the machine runs; CPU figures and the yardsticks beside them do not.",
        "The email dispatch rows come from `bench/dispatch.py`: each ratio is taken within one round (LessonLoop, the raw loop "
        "and smtp-source back to back on the same sink), then the median of the rounds.",
        "",
        "| what | LessonLoop | yardstick | target |",
        "|---|---|---|---|",
        *[f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows],
        "",
    ]
    Path(args.output).write_text("\n".join(text), encoding="utf-8")
    print("\n".join(text))


if __name__ == "__main__":
    main()
