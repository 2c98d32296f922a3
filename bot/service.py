"""The composition root: everything a command, the web app or a job needs, built once from settings."""
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from urllib.parse import urlparse

from sqlalchemy import Engine

from bot.content import load_bank
from bot.db import make_engine
from bot.email_channel import MailFolderChannel, SmtpChannel
from bot.settings import Settings
from bot.signing import Signer
from bot.teams_channel import TeamsChannel
from bot.transport import Channel
from lesson_bank.model import Lesson
from schedules.slots import WorkingHours


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


@dataclass
class Service:
    settings: Settings
    engine: Engine
    lessons: dict[str, Lesson]
    signer: Signer
    channels: dict[str, Channel] = field(default_factory=dict)

    @property
    def hours(self) -> WorkingHours:
        return WorkingHours.parse(self.settings.working_hours)

    @property
    def link_lifetime(self) -> timedelta:
        return timedelta(days=self.settings.link_days)

    def reply_url(self, token: str) -> str:
        return f"{self.settings.base_url.rstrip('/')}/r/{token}"

    def unsubscribe_url(self, token: str) -> str:
        return f"{self.settings.base_url.rstrip('/')}/u/{token}"

    async def close(self) -> None:
        for channel in self.channels.values():
            await channel.close()
        self.engine.dispose()


def email_channel(settings: Settings) -> Channel:
    domain = urlparse(settings.base_url).hostname or "localhost"
    target = settings.smtp_target()
    if target is None:
        return MailFolderChannel(folder=settings.mail_dir, sender=settings.from_email, domain=domain)
    return SmtpChannel(target=target, sender=settings.from_email, domain=domain, connections=settings.smtp_connections)


def build_channels(settings: Settings) -> dict[str, Channel]:
    """Email always; each chat channel adds itself here when its settings are present."""
    channels: dict[str, Channel] = {"email": email_channel(settings)}
    if settings.teams_configured:
        channels["teams"] = TeamsChannel(settings)
    if settings.slack_enabled:
        from bot.slack_channel import build_slack_channel  # slack_sdk is loaded only when Slack is used

        channels["slack"] = build_slack_channel(settings)
    return channels


def build_service(settings: Settings, *, today: date | None = None, with_channels: bool = True) -> Service:
    result = load_bank(settings, today or date.today())
    lessons = {lesson.id: lesson for lesson in result.lessons}
    channels = build_channels(settings) if with_channels else {}
    return Service(settings, make_engine(settings.sqlalchemy_url()), lessons, Signer(settings.signing_key()), channels)
