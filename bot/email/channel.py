"""Email: render the three templates, build MIME bytes, send over reused SMTP connections or write .eml files."""

import asyncio
import os
import uuid
from collections.abc import Awaitable, Callable
from email.utils import parseaddr
from pathlib import Path

import aiosmtplib

from bot.email.mailer import smtp_client
from bot.email.pipelining import Replies
from bot.email.data_form import DataStencil
from bot.email.mime import build_encoded_email, qp_filled, smtp_data, to_header
from bot.core.settings import SmtpTarget
from bot.core.transport import Job, NextItem, Report, SendResult, TransportError
from digests import loop_messages
from digests.nudge import Sender, email_stencil, stencil_values


class EmailRenderer:
    def __init__(self, *, sender: str, domain: str, named: Sender = Sender()):
        self.sender, self.domain, self.named = sender, domain, named
        self._data_stencils: dict[tuple[str, str, str], DataStencil] = {}

    def _message_id(self, job: Job) -> str:
        # A random token stored on the delivery: unique across installations and database resets, and
        # the same on every attempt of one delivery, so receivers can drop a crash duplicate.
        return f"<{job.message_token or uuid.uuid4().hex}@{self.domain}>"

    @staticmethod
    def _extra_headers(job: Job) -> dict[str, str]:
        unsubscribe = job.nudge.links.unsubscribe_url
        return {"List-Unsubscribe": f"<{unsubscribe}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}

    def render(self, job: Job) -> bytes:
        """The message as a .eml file holds it: CRLF line endings, quoted-printable bodies. A nudge is filled
        into the week's shared stencil; a reminder or follow-up (issue 13) is rendered whole."""
        if job.loop is not None:
            parts = loop_messages.email_parts(job.loop)
            subject, text_qp, html_qp = parts.subject, qp_filled(parts.text, {}), qp_filled(parts.html, {})
        else:
            stencil = email_stencil(job.nudge, self.named)
            subject = stencil.subject
            text_qp = qp_filled(stencil.text, stencil_values(job.nudge, html=False))
            html_qp = qp_filled(stencil.html, stencil_values(job.nudge, html=True))
        return build_encoded_email(
            sender=self.sender,
            to_name=job.name,
            to_addr=job.email,
            subject=subject,
            text_qp=text_qp,
            html_qp=html_qp,
            message_id=self._message_id(job),
            extra_headers=self._extra_headers(job),
        )

    def data(self, job: Job) -> bytes:
        """The message as SMTP's DATA carries it (dot-stuffed, terminated): `smtp_data(render(job))`, but a
        nudge is filled into its stencil's pieces already in that form, so nothing rescans its 12 KB."""
        if job.loop is not None:
            return smtp_data(self.render(job))
        stencil = email_stencil(job.nudge, self.named)
        key = (stencil.subject, stencil.text, stencil.html)
        data_stencil = self._data_stencils.get(key)
        if data_stencil is None:
            if len(self._data_stencils) > 1024:  # a few lessons a week; bounded all the same
                self._data_stencils.clear()
            data_stencil = self._data_stencils[key] = DataStencil(subject=key[0], text=key[1], html=key[2])
        return data_stencil.fill(
            sender=self.sender,
            to=to_header(job.name, job.email),
            message_id=self._message_id(job),
            extra_headers=self._extra_headers(job),
            text_values=stencil_values(job.nudge, html=False),
            html_values=stencil_values(job.nudge, html=True),
        )


MayFinish = Callable[[], Awaitable[bool]]


class _Unfinished(Exception):
    """A message left without its final dot: not sent."""


def classify(exc: Exception) -> TransportError:
    """5xx answers and refused recipients are permanent; 4xx, timeouts and dropped connections are not."""
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        codes = [e.code for e in exc.recipients]
        return TransportError(
            f"recipient refused: {'; '.join(f'{e.code} {e.message}' for e in exc.recipients)}",
            permanent=all(c >= 500 for c in codes),
        )
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        return TransportError(f"SMTP {exc.code}: {exc.message}", permanent=exc.code >= 500)
    return TransportError(f"{type(exc).__name__}: {exc}", permanent=False)


class SmtpChannel(EmailRenderer):
    """Sends over a few long-lived SMTP connections in parallel: one sender per connection takes the next
    prepared message and sends it while the previous one's outcome is being written down.

    What a crash may repeat stays one message a connection: a message is accepted only by the final dot
    of its DATA, and a sender writes that dot only once the previous message's outcome is committed. So
    the commit overlaps the next message's envelope and body instead of holding the connection idle."""

    name = "email"

    def __init__(self, *, target: SmtpTarget, sender: str, domain: str, connections: int = 8, named: Sender = Sender()):
        super().__init__(sender=sender, domain=domain, named=named)
        self.target, self.envelope_from = target, parseaddr(sender)[1]
        self._mail_from = b"MAIL FROM:<" + self.envelope_from.encode("utf-8") + b">\r\n"
        self._connections: list[_Connection] = []
        self._size = connections

    def prepare(self, job: Job) -> bytes:
        """Rendered once, in the form DATA carries it (dot-stuffed, terminated), so nothing is normalised
        again per send: aiosmtplib's `data()` would re-scan every line ending and leading dot."""
        return self.data(job)

    async def _transaction(self, connection: "_Connection", recipient: str, data: bytes, may_finish: MayFinish) -> None:
        """MAIL, RCPT, DATA for one message, then the bytes prepared by `prepare`, the final dot only once
        `may_finish()` says so. Addresses were checked when the roster was imported, so they are not parsed
        again here."""
        replies = await connection.replies()
        timeout = connection.client.timeout
        commands = (self._mail_from, b"RCPT TO:<" + recipient.encode("utf-8") + b">\r\n", b"DATA\r\n")
        if connection.pipelining:
            mail, rcpt, go = await replies.exchange(b"".join(commands), 3, timeout)
        else:  # one command at a time, stopping at the first refusal
            (mail,) = await replies.exchange(commands[0], 1, timeout)
            (rcpt,) = await replies.exchange(commands[1], 1, timeout) if mail.code == 250 else [mail]
            (go,) = await replies.exchange(commands[2], 1, timeout) if rcpt.code in (250, 251) else [rcpt]
        if (mail.code, go.code) != (250, 354) or rcpt.code not in (250, 251):
            if go.code == 354:  # RFC 2920 3.1: DATA was accepted without a recipient; an empty message ends it
                await replies.exchange(b".\r\n", 1, timeout)
            await replies.exchange(b"RSET\r\n", 1, timeout)
            if mail.code != 250:
                raise aiosmtplib.SMTPSenderRefused(mail.code, mail.message, self.envelope_from)
            if rcpt.code not in (250, 251):
                raise aiosmtplib.SMTPRecipientsRefused([aiosmtplib.SMTPRecipientRefused(rcpt.code, rcpt.message, recipient)])
            raise aiosmtplib.SMTPDataError(go.code, go.message)
        replies.write(memoryview(data)[:-3])  # `smtp_data` ends every message with CRLF "." CRLF; no copy

        if not await may_finish():
            # Without its final dot the server drops the message; the row comes back when its lease ends.
            raise _Unfinished("not sent: this dispatcher's claims could not be renewed")
        (done,) = await replies.exchange(b".\r\n", 1, timeout)
        if done.code != 250:
            raise aiosmtplib.SMTPDataError(done.code, done.message)

    async def _send(self, connection: "_Connection", job: Job, data: bytes, may_finish: MayFinish) -> SendResult:
        try:
            await self._transaction(connection, job.email, data, may_finish)
            return None
        except (TimeoutError, aiosmtplib.SMTPException, OSError, _Unfinished) as exc:
            if not isinstance(exc, aiosmtplib.SMTPResponseException | aiosmtplib.SMTPRecipientsRefused):
                connection.drop()  # a broken (or abandoned) connection is replaced on the next message
            return classify(exc)

    async def stream(self, next_item: NextItem, report: Report, still_held: Callable[[], bool] = lambda: True) -> None:
        """`still_held()` is asked before each final dot: False (this dispatcher's claims may have run out)
        leaves the message unsent."""
        while len(self._connections) < self._size:
            self._connections.append(_Connection(smtp_client(self.target)))

        async def sender(connection: _Connection) -> None:
            recording: list[asyncio.Future[None]] = []  # outcomes of this connection not yet committed

            async def may_finish() -> bool:
                while recording:
                    await recording.pop(0)
                return still_held()

            try:
                while (item := await next_item()) is not None:
                    job, data = item
                    result = await self._send(connection, job, data, may_finish)
                    recording.append(asyncio.ensure_future(report(job, result)))
            finally:
                await asyncio.gather(*recording)

        await asyncio.gather(*(sender(c) for c in self._connections))

    async def deliver(self, prepared: list[tuple[Job, bytes]]) -> dict[int, SendResult]:
        waiting = iter(prepared)
        results: dict[int, SendResult] = {}

        async def next_item() -> tuple[Job, bytes] | None:
            return next(waiting, None)

        async def report(job: Job, result: SendResult) -> None:
            results[job.delivery_id] = result

        await self.stream(next_item, report)
        return results

    async def close(self) -> None:
        for connection in self._connections:
            await connection.quit()
        self._connections.clear()


class _Connection:
    """One SMTP connection: aiosmtplib connects and says EHLO (and STARTTLS, AUTH when configured), then
    its transactions go through `Replies` until QUIT."""

    def __init__(self, client: aiosmtplib.SMTP):
        self.client = client
        self.pipelining = False
        self._replies: Replies | None = None

    async def replies(self) -> Replies:
        if self._replies is None or not self.client.is_connected:
            if not self.client.is_connected:
                await self.client.connect()
            if self.client.last_ehlo_response is None:
                await self.client.ehlo()
            self.pipelining = self.client.supports_extension("pipelining")
            self._replies = Replies(self.client)
        return self._replies

    def drop(self) -> None:
        self._replies = None
        self.client.close()

    async def quit(self) -> None:
        if self._replies is not None:
            self._replies.release()
            self._replies = None
        if self.client.is_connected:
            try:
                await self.client.quit()
            except aiosmtplib.SMTPException:
                self.client.close()


class MailFolderChannel(EmailRenderer):
    """No SMTP server configured: each message becomes <folder>/delivery-<id>.eml. Re-sending the same
    delivery rewrites the same file, so a retry never makes a duplicate."""

    name = "email"

    def __init__(self, *, folder: Path, sender: str, domain: str, named: Sender = Sender()):
        super().__init__(sender=sender, domain=domain, named=named)
        self.folder = folder

    def prepare(self, job: Job) -> bytes:
        return self.render(job)

    def _write(self, job: Job, data: bytes) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        final = self.folder / f"delivery-{job.delivery_id}.eml"
        partial = final.with_suffix(".part")
        partial.write_bytes(data)
        os.replace(partial, final)

    async def deliver(self, prepared: list[tuple[Job, bytes]]) -> dict[int, SendResult]:
        results: dict[int, SendResult] = {}
        for job, data in prepared:
            try:
                self._write(job, data)
                results[job.delivery_id] = None
            except OSError as exc:
                results[job.delivery_id] = TransportError(f"cannot write mail file: {exc}")
        return results

    async def close(self) -> None:
        return None
