"""The mail transactions of one SMTP connection, with MAIL, RCPT and DATA sent together when the server
offers PIPELINING (RFC 2920): two round trips a message instead of four.

aiosmtplib opens the connection (greeting, EHLO, STARTTLS, AUTH) and closes it (QUIT); in between, its
protocol pairs exactly one reply with each command it writes and drops replies that arrive together, as
pipelined ones do, and each reply costs it a `wait_for`. So for the transactions the connection's
transport is handed to `Replies`, which queues every reply in order, and handed back before QUIT."""

import asyncio
from collections import deque

import aiosmtplib
from aiosmtplib import SMTPResponse

# A reply (with its continuation lines) longer than this is refused, as aiosmtplib refuses one: a server
# streaming bytes without line ends must not grow the buffer without bound.
MAX_REPLY = 32 * 1024


def _time_out(waiter: "asyncio.Future[None]") -> None:
    if not waiter.done():
        waiter.set_exception(aiosmtplib.SMTPReadTimeoutError("Timed out waiting for server response"))


class Replies(asyncio.Protocol):
    """Stands in for aiosmtplib's protocol on an open connection: writes what it is given and returns the
    replies, in order, however they arrive."""

    def __init__(self, client: aiosmtplib.SMTP):
        protocol = client.protocol
        if protocol is None or protocol.transport is None:
            raise aiosmtplib.SMTPServerDisconnected("connection lost")
        self._protocol, self._transport = protocol, protocol.transport
        self._buffer = bytearray()
        self._lines: list[str] = []  # a multiline reply's lines so far
        self._replies: deque[SMTPResponse] = deque()
        self._wanted = 0
        self._waiter: asyncio.Future[None] | None = None
        self._error: Exception | None = None
        self._transport.set_protocol(self)

    def release(self) -> None:
        """Hand the connection back to aiosmtplib (for QUIT)."""
        if self._error is None:
            self._transport.set_protocol(self._protocol)

    def write(self, data: bytes | memoryview) -> None:
        """Write what needs no reply of its own (a message's body, before its final dot)."""
        if self._error is not None:
            raise self._error
        self._transport.write(data)  # type: ignore[attr-defined]  # a stream transport

    async def exchange(self, data: bytes, replies: int, timeout: float | None) -> list[SMTPResponse]:
        """Write `data` (commands, or a message prepared for DATA) and return the next `replies` replies.
        A timeout leaves the connection in an unknown state: the caller closes it."""
        if self._error is not None:
            raise self._error
        self._replies.clear()  # anything that came while nothing was asked is not a reply to this
        self._transport.write(data)  # type: ignore[attr-defined]  # a stream transport
        if len(self._replies) < replies:
            self._wanted = replies
            loop = asyncio.get_running_loop()
            waiter = self._waiter = loop.create_future()
            # a timer that fails the wait, not asyncio.timeout: that costs a task lookup, a reschedule and an
            # uncancel check on every exchange, two a message
            timer = None if timeout is None else loop.call_later(timeout, _time_out, waiter)
            try:
                await waiter
            finally:
                self._waiter = None
                if timer is not None:
                    timer.cancel()
        return [self._replies.popleft() for _ in range(replies)]

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        start = 0
        while (end := self._buffer.find(b"\n", start)) != -1:
            line = bytes(self._buffer[start : end + 1])
            start = end + 1
            try:
                code = int(line[:3])
            except ValueError:
                self._fail(aiosmtplib.SMTPResponseException(-1, "Malformed SMTP response line"))
                return
            self._lines.append(line[4:].strip(b" \t\r\n").decode("utf-8", "surrogateescape"))
            if line[3:4] != b"-":
                self._replies.append(SMTPResponse(code, "\n".join(self._lines)))
                self._lines = []
        del self._buffer[:start]
        if len(self._buffer) + sum(map(len, self._lines)) > MAX_REPLY:
            self._fail(aiosmtplib.SMTPResponseException(-1, "Response too long"))
        elif self._waiter is not None and len(self._replies) >= self._wanted and not self._waiter.done():
            self._waiter.set_result(None)

    def _fail(self, error: Exception) -> None:
        if self._error is None:
            self._error = error
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_exception(self._error)
        self._transport.close()

    def eof_received(self) -> bool:
        self._fail(aiosmtplib.SMTPServerDisconnected("Unexpected EOF received"))
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self._fail(aiosmtplib.SMTPServerDisconnected("Connection lost"))
        self._protocol.connection_lost(exc)  # aiosmtplib's client sees it is disconnected

    def pause_writing(self) -> None:
        self._protocol.pause_writing()

    def resume_writing(self) -> None:
        self._protocol.resume_writing()
