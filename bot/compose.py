"""The composition root: builds the service and its channels from settings. The only module that knows
every channel; a new channel is one new room under bot/ and one line here."""

import logging
from datetime import date

from bot.core.content import load_bank, with_local_contacts
from bot.core.db import make_engine
from bot.core.service import Service
from bot.core.settings import Settings
from bot.core.signing import Signer
from bot.core.transport import Channel
from bot.email.channel import MailFolderChannel, SmtpChannel
from digests.nudge import Sender

log = logging.getLogger("lessonloop.lessons")


def email_channel(settings: Settings) -> Channel:
    domain = settings.message_id_domain()
    target = settings.smtp_target()
    named = Sender(settings.organisation_name, settings.min_cell)
    if target is None:
        return MailFolderChannel(folder=settings.mail_dir, sender=settings.from_email, domain=domain, named=named)
    return SmtpChannel(
        target=target, sender=settings.from_email, domain=domain, connections=settings.smtp_connections, named=named
    )


def build_channels(settings: Settings) -> dict[str, Channel]:
    """Email always; each chat channel adds itself here when its settings are present."""
    channels: dict[str, Channel] = {"email": email_channel(settings)}
    if settings.teams_configured:
        from bot.teams.channel import TeamsChannel

        channels["teams"] = TeamsChannel(settings)
    if settings.slack_enabled:
        from bot.slack.channel import build_slack_channel  # slack_sdk is loaded only when Slack is used

        channels["slack"] = build_slack_channel(settings)
    return channels


def build_service(settings: Settings, *, today: date | None = None, with_channels: bool = True) -> Service:
    result = load_bank(settings, today or date.today())
    # A lesson file with an error is left out: say which and why, never silently. Problems of the bank as a
    # whole (line 0: the balance of right answers across it) leave nothing out; they are for its authors.
    left_out = [p for p in result.errors if p.line > 0]
    bank_wide = [p for p in result.errors if p.line == 0]
    if left_out:
        log.warning(
            "%d lesson file problem(s); those lessons are not sent:\n%s",
            len(left_out),
            "\n".join(f"  {problem}" for problem in left_out),
        )
    if bank_wide:
        log.warning(
            "the lesson bank as a whole has %d problem(s) for its authors (every lesson is still sent):\n%s",
            len(bank_wide),
            "\n".join(f"  {problem}" for problem in bank_wide),
        )
    lessons = with_local_contacts(settings, result.lessons)
    channels = build_channels(settings) if with_channels else {}
    return Service(settings, make_engine(settings.sqlalchemy_url()), lessons, Signer(settings.signing_key()), channels)
