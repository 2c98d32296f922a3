"""A small HTTP/1.1 load generator on raw asyncio sockets, for the web benchmarks.

Why not httpx: on this 2-core machine an httpx client at concurrency 50 could not drive even an empty ASGI app
past ~220 requests a second (p99 1 s); the client, not the server, was what the benchmark measured. Here each
request is prepared as bytes beforehand and each connection is kept alive, so the client costs a few tens of
microseconds a request and the server's figures are the server's.

Two shapes:
- closed_loop: `concurrency` connections, each sending its next request when the last one answered;
- open_loop: requests leave on a fixed schedule whether or not earlier ones have answered (what Slack does),
  each on an idle kept-alive connection or a new one."""

import asyncio
import time
from dataclasses import dataclass, field


def request_bytes(method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None) -> bytes:
    head = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", f"Content-Length: {len(body)}"]
    head += [f"{name}: {value}" for name, value in (headers or {}).items()]
    return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body


@dataclass
class Outcome:
    latencies: list[float] = field(default_factory=list)  # seconds, answered requests only
    statuses: dict[int, int] = field(default_factory=dict)
    failures: int = 0  # a non-2xx status or no answer
    errors: dict[str, int] = field(default_factory=dict)
    elapsed: float = 0.0

    def record(self, status: int, latency: float) -> None:
        self.latencies.append(latency)
        self.statuses[status] = self.statuses.get(status, 0) + 1
        self.failures += not 200 <= status < 300

    def error(self, exc: BaseException) -> None:
        self.failures += 1
        self.errors[type(exc).__name__] = self.errors.get(type(exc).__name__, 0) + 1


KEEP_IDLE = 4.0  # seconds a kept-alive connection is reused: uvicorn closes one idle for 5 s, as servers do


class Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        self.reader, self.writer = reader, writer
        self.idle_since = time.monotonic()

    def reusable(self) -> bool:
        """What an HTTP client checks before reusing a kept-alive connection: not closed by the server, not idle
        so long that the server is about to close it (a request sent then would be lost, not refused)."""
        return not self.reader.at_eof() and time.monotonic() - self.idle_since < KEEP_IDLE

    @classmethod
    async def open(cls, port: int) -> "Connection":
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        return cls(reader, writer)

    async def exchange(self, request: bytes) -> int:
        """Send one request and read its whole response; returns the status code."""
        self.writer.write(request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        status = int(lines[0].split()[1])
        length, chunked = 0, False
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"transfer-encoding" and b"chunked" in value.lower():
                chunked = True
        if chunked:
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
                await self.reader.readexactly(size + 2)
                if size == 0:
                    break
        elif length:
            await self.reader.readexactly(length)
        self.idle_since = time.monotonic()
        return status

    def close(self) -> None:
        self.writer.close()


async def closed_loop(port: int, requests: list[bytes], concurrency: int) -> Outcome:
    outcome, pending = Outcome(), list(reversed(requests))

    async def client() -> None:
        connection: Connection | None = None
        while pending:
            request = pending.pop()
            started = time.perf_counter()
            try:
                connection = connection or await Connection.open(port)
                outcome.record(await connection.exchange(request), time.perf_counter() - started)
            except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
                outcome.error(exc)
                if connection is not None:
                    connection.close()
                connection = None
        if connection is not None:
            connection.close()

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(concurrency)))
    outcome.elapsed = time.perf_counter() - started
    return outcome


async def open_loop(port: int, requests: list[bytes], rate: float) -> Outcome:
    outcome, idle = Outcome(), []  # idle: kept-alive connections no request is using

    async def one(request: bytes) -> None:
        started = time.perf_counter()
        connection = None
        while idle and connection is None:
            connection = idle.pop()
            if not connection.reusable():
                connection.close()
                connection = None
        try:
            connection = connection or await Connection.open(port)
            outcome.record(await connection.exchange(request), time.perf_counter() - started)
            idle.append(connection)
        except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
            outcome.error(exc)
            if connection is not None:
                connection.close()

    start, tasks = time.perf_counter(), []
    for i, request in enumerate(requests):
        await asyncio.sleep(max(0.0, start + i / rate - time.perf_counter()))
        tasks.append(asyncio.create_task(one(request)))
    await asyncio.gather(*tasks)
    outcome.elapsed = time.perf_counter() - start
    for connection in idle:
        connection.close()
    return outcome
