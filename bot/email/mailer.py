"""Occasional emails that are not nudges: agenda items to team leads, dashboard sign-in links and the
weekly digest (which carries its chart as an inline image). Low volume, so the stdlib builds them."""

import uuid
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid, parseaddr
from pathlib import Path
from typing import cast
from urllib.parse import urlparse

import aiosmtplib

from bot.core.settings import Settings, SmtpTarget


@dataclass(frozen=True)
class InlineImage:
    cid: str  # referenced from the HTML as src="cid:..."
    png: bytes


def build_message(
    settings: Settings, *, to: str, subject: str, text: str, html: str, images: tuple[InlineImage, ...] = (), to_name: str = ""
) -> EmailMessage:
    """`to_name` names the recipient in the To header (an unnamed recipient of an HTML mail looks like bulk)."""
    message = EmailMessage()
    domain = urlparse(settings.base_url).hostname or "localhost"
    # Names are data: a line break in an agency or team name must not make the header invalid (and the mail lost)
    recipient = formataddr((" ".join(to_name.split()), to)) if to_name.strip() else to
    message["From"], message["To"], message["Subject"] = settings.from_email, recipient, " ".join(subject.split())
    message["Date"], message["Message-ID"] = formatdate(usegmt=True), make_msgid(domain=domain)
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    html_part = cast(list[EmailMessage], message.get_payload())[1]  # multipart/alternative: (text, html)
    for image in images:
        html_part.add_related(image.png, maintype="image", subtype="png", cid=f"<{image.cid}>")
    return message


async def send_message(settings: Settings, message: EmailMessage) -> None:
    """Over SMTP when configured, else into the mail folder as a .eml file (as nudges are)."""
    target = settings.smtp_target()
    if target is None:
        folder = Path(settings.mail_dir)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"mail-{uuid.uuid4().hex}.eml").write_bytes(message.as_bytes())
        return
    async with smtp_client(target) as client:
        await client.send_message(message, sender=parseaddr(settings.from_email)[1])


def smtp_client(target: SmtpTarget) -> aiosmtplib.SMTP:
    """An SMTP client for the configured server, not yet connected: every email this service sends goes
    through one of these (one-off mails here, the nudge channel's pool in bot/email/channel.py)."""
    return aiosmtplib.SMTP(
        hostname=target.host,
        port=target.port,
        username=target.username,
        password=target.password,
        use_tls=target.use_tls,
        start_tls=target.start_tls,
        timeout=30,
    )
