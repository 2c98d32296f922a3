"""Email: render the three templates, build MIME bytes, send over reused SMTP connections or write .eml files."""
import asyncio
import os
from email.utils import parseaddr
from pathlib import Path

import aiosmtplib

from bot.email.mime import build_email
from bot.core.settings import SmtpTarget
from bot.core.transport import Job, SendResult, TransportError
from digests.nudge import Sender, email_parts


class EmailRenderer:
    def __init__(self, *, sender: str, domain: str, named: Sender = Sender()):
        self.sender, self.domain, self.named = sender, domain, named

    def prepare(self, job: Job) -> bytes:
        parts = email_parts(job.nudge, self.named)
        unsubscribe = job.nudge.links.unsubscribe_url
        return build_email(
            sender=self.sender, to_name=job.name, to_addr=job.email, subject=parts.subject,
            text=parts.text, html=parts.html, message_id=f"<delivery-{job.delivery_id}@{self.domain}>",
            extra_headers={"List-Unsubscribe": f"<{unsubscribe}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
        )


def classify(exc: Exception) -> TransportError:
    """5xx answers and refused recipients are permanent; 4xx, timeouts and dropped connections are not."""
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        codes = [e.code for e in exc.recipients]
        return TransportError(f"recipient refused: {'; '.join(f'{e.code} {e.message}' for e in exc.recipients)}", permanent=all(c >= 500 for c in codes))
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        return TransportError(f"SMTP {exc.code}: {exc.message}", permanent=exc.code >= 500)
    return TransportError(f"{type(exc).__name__}: {exc}", permanent=False)


class SmtpChannel(EmailRenderer):
    """Sends over a few long-lived SMTP connections in parallel; each connection sends one message at a time."""

    name = "email"

    def __init__(self, *, target: SmtpTarget, sender: str, domain: str, connections: int = 8, named: Sender = Sender()):
        super().__init__(sender=sender, domain=domain, named=named)
        self.target, self.envelope_from = target, parseaddr(sender)[1]
        self._envelope_from = self.envelope_from.encode("utf-8")
        self._clients: list[aiosmtplib.SMTP] = []
        self._size = connections

    def _new_client(self) -> aiosmtplib.SMTP:
        t = self.target
        return aiosmtplib.SMTP(hostname=t.host, port=t.port, username=t.username, password=t.password,
                               use_tls=t.use_tls, start_tls=t.start_tls, timeout=30)

    async def _ready(self, client: aiosmtplib.SMTP) -> None:
        if not client.is_connected:
            await client.connect()
        if client.last_ehlo_response is None:
            await client.ehlo()

    async def _transaction(self, client: aiosmtplib.SMTP, recipient: str, data: bytes) -> None:
        """MAIL, RCPT, DATA for one message. Addresses were checked when the roster was imported, so they
        are not parsed again here: that parsing cost more than the SMTP exchange itself."""
        response = await client.execute_command(b"MAIL", b"FROM:<" + self._envelope_from + b">")
        if response.code != 250:
            raise aiosmtplib.SMTPSenderRefused(response.code, response.message, self.envelope_from)
        response = await client.execute_command(b"RCPT", b"TO:<" + recipient.encode("utf-8") + b">")
        if response.code not in (250, 251):
            await client.rset()
            raise aiosmtplib.SMTPRecipientsRefused([aiosmtplib.SMTPRecipientRefused(response.code, response.message, recipient)])
        await client.data(data)

    async def _worker(self, client: aiosmtplib.SMTP, queue: asyncio.Queue, results: dict) -> None:
        while not queue.empty():
            job, data = queue.get_nowait()
            try:
                await self._ready(client)
                await self._transaction(client, job.email, data)
                results[job.delivery_id] = None
            except (TimeoutError, aiosmtplib.SMTPException, OSError) as exc:
                results[job.delivery_id] = classify(exc)
                if not isinstance(exc, aiosmtplib.SMTPResponseException | aiosmtplib.SMTPRecipientsRefused):
                    client.close()  # a broken connection is replaced on the next message

    async def deliver(self, prepared: list[tuple[Job, bytes]]) -> dict[int, SendResult]:
        while len(self._clients) < min(self._size, len(prepared)):
            self._clients.append(self._new_client())
        queue: asyncio.Queue = asyncio.Queue()
        for item in prepared:
            queue.put_nowait(item)
        results: dict[int, SendResult] = {}
        await asyncio.gather(*(self._worker(c, queue, results) for c in self._clients))
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
