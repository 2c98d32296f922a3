"""The SMTP channel's sending (issue 16): MAIL, RCPT and DATA in one write when the server offers
PIPELINING, and a message's final dot only once the previous message's outcome is written down."""

import asyncio

import pytest

from bot.core.settings import SmtpTarget
from bot.core.transport import Job, TransportError
from bot.email.channel import SmtpChannel
from bot.email.mime import smtp_data
from tests.conftest import free_port


def channel_to(port: int, connections: int = 1) -> SmtpChannel:
    return SmtpChannel(
        target=SmtpTarget(host="127.0.0.1", port=port),
        sender="LL <ll@example.org>",
        domain="example.org",
        connections=connections,
    )


def job(n: int, email: str = "") -> tuple[Job, bytes]:
    message = f"Subject: message {n}\r\n\r\nbody {n}\r\n".encode()
    return Job(n, n, email or f"p{n}@example.org", f"P {n}", nudge=None), smtp_data(message)  # type: ignore[arg-type]


def feeder(items: list[tuple[Job, bytes]]):
    waiting = iter(items)

    async def next_item():
        return next(waiting, None)

    return next_item


class PipeliningOnly:
    """A server that offers PIPELINING and answers nothing of MAIL, RCPT and DATA until all three have
    arrived: a client that waits for each reply before the next command gets no reply at all."""

    def __init__(self):
        self.port = free_port()
        self.delivered: list[bytes] = []

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"220 ready\r\n")
        while line := await reader.readline():
            command = line[:4].upper()
            if command == b"EHLO":
                writer.write(b"250-test\r\n250-PIPELINING\r\n250 8BITMIME\r\n")
            elif command == b"MAIL":
                rcpt, data = await reader.readline(), await reader.readline()
                assert rcpt.startswith(b"RCPT") and data == b"DATA\r\n"
                writer.write(b"250 ok\r\n250 ok\r\n354 go on\r\n")
                self.delivered.append(await reader.readuntil(b"\r\n.\r\n"))
                writer.write(b"250 queued\r\n")
            elif command == b"QUIT":
                writer.write(b"221 bye\r\n")
                break
            else:
                writer.write(b"250 ok\r\n")
        writer.close()


async def test_mail_rcpt_and_data_go_together_when_the_server_offers_pipelining():
    server = PipeliningOnly()
    listening = await asyncio.start_server(server.serve, "127.0.0.1", server.port)
    channel = channel_to(server.port)
    channel_timeout = 2.0
    try:
        results = await asyncio.wait_for(channel.deliver([job(1), job(2)]), channel_timeout)
    finally:
        await channel.close()
        listening.close()
    assert results == {1: None, 2: None}
    assert [d.split(b"\r\n")[0] for d in server.delivered] == [b"Subject: message 1", b"Subject: message 2"]


@pytest.mark.parametrize("pipelining", [False, True])
async def test_a_refused_recipient_fails_that_message_only_and_the_connection_goes_on(smtp_server, pipelining):
    smtp_server.pipelining = pipelining
    smtp_server.reject = {"gone@example.org": "550 5.1.1 No such user", "busy@example.org": "451 4.3.0 Try again later"}
    channel = channel_to(smtp_server.port)
    results = await channel.deliver([job(1, "gone@example.org"), job(2, "busy@example.org"), job(3)])
    await channel.close()
    assert results[3] is None
    assert isinstance(results[1], TransportError) and results[1].permanent and "550" in results[1].message
    assert isinstance(results[2], TransportError) and not results[2].permanent and "451" in results[2].message
    assert [e.rcpt_tos for e in smtp_server.messages] == [["p3@example.org"]]


async def test_the_next_message_goes_out_while_the_previous_outcome_is_written_but_is_finished_after(smtp_server):
    """The commit overlaps the next envelope and body; the final dot waits for it, so a crash may repeat
    only one message a connection (accepted, not yet written down)."""
    channel = channel_to(smtp_server.port)
    written = asyncio.Event()
    reported: list[int] = []
    recipients: list[str] = []
    accept = smtp_server.handle_RCPT

    async def handle_RCPT(server, session, envelope, address, options):
        recipients.append(address)
        return await accept(server, session, envelope, address, options)

    smtp_server.handle_RCPT = handle_RCPT

    async def report(job: Job, result) -> None:
        reported.append(job.delivery_id)
        if job.delivery_id == 1:
            await written.wait()  # the outcome of message 1 is being committed

    sending = asyncio.create_task(channel.stream(feeder([job(1), job(2)]), report))
    for _ in range(100):
        await asyncio.sleep(0.01)
        if reported:
            break
    await asyncio.sleep(0.3)  # message 2's envelope and body have had time to go out
    assert recipients == ["p1@example.org", "p2@example.org"]
    assert [e.rcpt_tos for e in smtp_server.messages] == [["p1@example.org"]]
    written.set()
    await asyncio.wait_for(sending, 5)
    await channel.close()
    assert [e.rcpt_tos for e in smtp_server.messages] == [["p1@example.org"], ["p2@example.org"]]


async def test_a_message_is_left_unfinished_when_the_claims_may_have_run_out(smtp_server):
    channel = channel_to(smtp_server.port)
    results: dict[int, object] = {}

    async def report(job: Job, result) -> None:
        results[job.delivery_id] = result

    held = iter([True, False])  # asked before each final dot
    await channel.stream(feeder([job(1), job(2)]), report, lambda: next(held))
    await channel.close()
    await asyncio.sleep(0.1)
    assert results[1] is None and isinstance(results[2], TransportError) and not results[2].permanent
    assert [e.rcpt_tos for e in smtp_server.messages] == [["p1@example.org"]]  # the server dropped message 2


async def test_a_server_that_stops_answering_times_the_message_out_and_the_next_goes_on_a_new_connection(monkeypatch):
    """The exchange's own timer fails the wait: the message is a transient failure (retried later), and the
    connection, left in an unknown state, is replaced for the next message."""
    server = PipeliningOnly()
    answered = 0
    serve = server.serve

    async def silent_once(reader, writer):
        nonlocal answered
        answered += 1
        if answered == 1:  # the first connection greets and answers EHLO, then says nothing more
            writer.write(b"220 ready\r\n")
            await reader.readline()
            writer.write(b"250-test\r\n250 PIPELINING\r\n")
            await asyncio.sleep(5)
            writer.close()
            return
        await serve(reader, writer)

    listening = await asyncio.start_server(silent_once, "127.0.0.1", server.port)
    channel = channel_to(server.port)
    monkeypatch.setattr("bot.email.channel.smtp_client", _short_timeout())
    try:
        results = await asyncio.wait_for(channel.deliver([job(1), job(2)]), 4.0)
    finally:
        await channel.close()
        listening.close()
    assert isinstance(results[1], TransportError) and not results[1].permanent and "Timed out" in results[1].message
    assert results[2] is None and len(server.delivered) == 1


def _short_timeout():
    from bot.email.mailer import smtp_client

    def client(target):
        made = smtp_client(target)
        made.timeout = 0.5
        return made

    return client
