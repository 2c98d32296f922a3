"""Reply page POSTs at a fixed concurrency against `lessonloop serve` (a child process), beside the same
load against an empty ASGI app under the same server (the yardstick: what this machine's HTTP stack and load
generator allow). Prints p50/p99/max latency, requests a second, and replies stored a second.

    uv run python bench/reply_post.py [--n 5000] [--concurrency 50] [--database-url URL] [--yardstick]

Closed loop: `concurrency` clients each POST an answer to a different person's nudge, one after another.
The last line is RESULT {json} for bench/run_all.py."""

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.loadgen import closed_loop, request_bytes
from bench.ack_latency import cpu_seconds, free_port, prepare, start_server, start_standin, stored_replies
from bot.core.settings import Settings
from bot.core.signing import Signer

EMPTY_APP = """
import uvicorn

async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    while (await receive()).get("more_body"):
        pass
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/html")]})
    await send({"type": "http.response.body", "body": b"<p>Thanks</p>"})

uvicorn.run(app, host="127.0.0.1", port=%d, log_level="warning")
"""


def start_empty(port: int) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-c", EMPTY_APP % port])
    for _ in range(100):
        try:
            httpx.get(f"http://127.0.0.1:{port}/", timeout=1)
            return proc
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.terminate()
    raise RuntimeError("the empty ASGI app did not start")


FORM = b"check=1&practice=changed"


def post_requests(paths: list[str]) -> list[bytes]:
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    return [request_bytes("POST", path, FORM, headers) for path in paths]


def fire(port: int, paths: list[str], concurrency: int) -> tuple[list[float], int, float]:
    outcome = asyncio.run(closed_loop(port, post_requests(paths), concurrency))
    if outcome.errors:
        print(f"errors: {outcome.errors}; statuses {outcome.statuses}")
    return outcome.latencies, outcome.failures, outcome.elapsed


def figures(latencies: list[float], elapsed: float, n: int) -> dict:
    ms = sorted(x * 1000 for x in latencies)
    return {
        "p50_ms": statistics.median(ms),
        "p99_ms": ms[min(len(ms) - 1, int(len(ms) * 0.99))],
        "max_ms": ms[-1],
        "req_per_s": n / elapsed,
    }


def run(n: int, concurrency: int, database_url: str | None, yardstick: bool, workers: int = 1) -> dict:
    if yardstick:
        port = free_port()
        proc = start_empty(port)
        try:
            cpu = cpu_seconds(proc.pid)
            latencies, failures, elapsed = fire(port, [f"/r/x{i}" for i in range(n)], concurrency)
            cpu = cpu_seconds(proc.pid) - cpu
        finally:
            proc.terminate()
            proc.wait(10)
        return {**figures(latencies, elapsed, n), "failures": failures, "server_cpu_ms_per_req": 1000 * cpu / n}
    workdir = Path(tempfile.mkdtemp(prefix="lessonloop-post-bench-"))
    url = database_url or f"sqlite:///{workdir / 'bench.db'}"
    api_port, port = free_port(), free_port()
    standin = start_standin(api_port)  # serve starts its Slack side; it must answer auth.test
    taps = prepare(url, n)
    signer = Signer(Settings(env="dev", secret_key="bench-secret").signing_key())
    expires = datetime.now(timezone.utc) + timedelta(days=7)
    paths = [f"/r/{signer.sign('reply', delivery_id, expires)}" for delivery_id, _ in taps]
    server = start_server(url, f"http://127.0.0.1:{api_port}/api/", port, workdir, workers)
    try:
        before, cpu = stored_replies(url, 0, wait=0), cpu_seconds(server.pid)
        latencies, failures, elapsed = fire(port, paths, concurrency)
        cpu = cpu_seconds(server.pid) - cpu
        stored = stored_replies(url, n, wait=30) - before
    finally:
        server.terminate()
        server.wait(10)
        standin.terminate()
        standin.wait(10)
        shutil.rmtree(workdir, ignore_errors=True)
    return {
        **figures(latencies, elapsed, n),
        "failures": failures,
        "stored": stored,
        "stored_per_s": stored / elapsed,
        "server_cpu_ms_per_req": 1000 * cpu / n,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--database-url")
    parser.add_argument("--yardstick", action="store_true", help="the empty ASGI app instead of lessonloop")
    parser.add_argument("--workers", type=int, default=1, help="web processes of lessonloop serve")
    args = parser.parse_args()
    result = run(args.n, args.concurrency, args.database_url, args.yardstick, args.workers)
    what = "empty ASGI app" if args.yardstick else f"lessonloop serve ({(args.database_url or 'sqlite').split(':')[0]})"
    print(
        f"{args.n} POSTs at concurrency {args.concurrency} against {what}: p50 {result['p50_ms']:.1f} ms, "
        f"p99 {result['p99_ms']:.1f} ms, max {result['max_ms']:.1f} ms, {result['req_per_s']:.0f} req/s, "
        f"failures {result['failures']}, server CPU {result['server_cpu_ms_per_req']:.2f} ms/request"
        + (f"; stored {result['stored']} ({result['stored_per_s']:.0f}/s)" if "stored" in result else "")
    )
    print("RESULT " + json.dumps(result))


if __name__ == "__main__":
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)  # servers start from cached byte-code, as an installed copy does
    main()
