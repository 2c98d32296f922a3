"""Email: render the three templates, build MIME bytes, send over reused SMTP connections or write .eml files."""

import asyncio
import os
import uuid
from email.utils import parseaddr
from pathlib import Path

import aiosmtplib

from bot.email.mailer import smtp_client
from bot.email.mime import build_encoded_email, qp_filled, smtp_data
from bot.core.settings import SmtpTarget
from bot.core.transport import Job, NextItem, Report, SendResult, TransportError
from digests import loop_messages
from digests.nudge import Sender, email_stencil, stencil_values


class EmailRenderer:
    def __init__(self, *, sender: str, domain: str, named: Sender = Sender()):
        self.sender, self.domain, self.named = sender, domain, named

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
        unsubscribe = job.nudge.links.unsubscribe_url
        # A random token stored on the delivery: unique across installations and database resets, and
        # the same on every attempt of one delivery, so receivers can drop a crash duplicate.
        token = job.message_token or uuid.uuid4().hex
        return build_encoded_email(
            sender=self.sender,
            to_name=job.name,
            to_addr=job.email,
            subject=subject,
            text_qp=text_qp,
            html_qp=html_qp,
            message_id=f"<{token}@{self.domain}>",
            extra_headers={"List-Unsubscribe": f"<{unsubscribe}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
        )


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
    prepared message, sends it and reports the result before taking another."""

    name = "email"

    def __init__(self, *, target: SmtpTarget, sender: str, domain: str, connections: int = 8, named: Sender = Sender()):
        super().__init__(sender=sender, domain=domain, named=named)
        self.target, self.envelope_from = target, parseaddr(sender)[1]
        self._mail_from = b"MAIL FROM:<" + self.envelope_from.encode("utf-8") + b">\r\n"
        self._clients: list[aiosmtplib.SMTP] = []
        self._size = connections

    def prepare(self, job: Job) -> bytes:
        """Rendered once, in the form DATA carries it (dot-stuffed, terminated), so nothing is normalised
        again per send: aiosmtplib's `data()` would re-scan every line ending and leading dot."""
        return smtp_data(self.render(job))

    def _new_client(self) -> aiosmtplib.SMTP:
        return smtp_client(self.target)

    async def _ready(self, client: aiosmtplib.SMTP) -> None:
        if not client.is_connected:
            await client.connect()
        if client.last_ehlo_response is None:
            await client.ehlo()

    async def _command(self, client: aiosmtplib.SMTP, line: bytes) -> aiosmtplib.SMTPResponse:
        protocol = client.protocol
        if protocol is None:
            raise aiosmtplib.SMTPServerDisconnected("connection lost")
        protocol.write(line)  # the reply is awaited straight after, before the loop runs anything else
        return await protocol.read_response(timeout=client.timeout)

    async def _transaction(self, client: aiosmtplib.SMTP, recipient: str, data: bytes) -> None:
        """MAIL, RCPT, DATA for one message, with the bytes prepared by `prepare`. Addresses were checked
        when the roster was imported, so they are not parsed again here."""
        response = await self._command(client, self._mail_from)
        if response.code != 250:
            raise aiosmtplib.SMTPSenderRefused(response.code, response.message, self.envelope_from)
        response = await self._command(client, b"RCPT TO:<" + recipient.encode("utf-8") + b">\r\n")
        if response.code not in (250, 251):
            await client.rset()
            raise aiosmtplib.SMTPRecipientsRefused([aiosmtplib.SMTPRecipientRefused(response.code, response.message, recipient)])
        response = await self._command(client, b"DATA\r\n")
        if response.code != 354:
            await client.rset()
            raise aiosmtplib.SMTPDataError(response.code, response.message)
        response = await self._command(client, data)
        if response.code != 250:
            raise aiosmtplib.SMTPDataError(response.code, response.message)

    async def _send(self, client: aiosmtplib.SMTP, job: Job, data: bytes) -> SendResult:
        try:
            await self._ready(client)
            await self._transaction(client, job.email, data)
            return None
        except (TimeoutError, aiosmtplib.SMTPException, OSError) as exc:
            if not isinstance(exc, aiosmtplib.SMTPResponseException | aiosmtplib.SMTPRecipientsRefused):
                client.close()  # a broken connection is replaced on the next message
            return classify(exc)

    async def stream(self, next_item: NextItem, report: Report) -> None:
        while len(self._clients) < self._size:
            self._clients.append(self._new_client())

        async def sender(client: aiosmtplib.SMTP) -> None:
            while (item := await next_item()) is not None:
                job, data = item
                await report(job, await self._send(client, job, data))

        await asyncio.gather(*(sender(c) for c in self._clients))

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
        for client in self._clients:
            if client.is_connected:
                try:
                    await client.quit()
                except aiosmtplib.SMTPException:
                    client.close()
        self._clients.clear()


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
