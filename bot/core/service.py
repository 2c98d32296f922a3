"""What a command, the web app or a job is handed: settings, the engine, the lesson bank, the signer and the
channels. It imports no channel: bot.compose builds them and hands them in."""
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import Engine

from bot.core.settings import Settings
from bot.core.signing import Signer
from bot.core.transport import Channel
from digests.reader import as_read
from lesson_bank.model import Lesson
from schedules.slots import WorkingHours


@dataclass
class Service:
    settings: Settings
    engine: Engine
    lessons: dict[str, Lesson]
    signer: Signer
    channels: dict[str, Channel] = field(default_factory=dict)

    @property
    def local_contacts(self) -> dict[str, str]:
        """The organisation's text for lesson placeholders (read once: it comes from a file)."""
        if "_local_contacts" not in self.__dict__:
            self.__dict__["_local_contacts"] = self.settings.local_contacts()
        return self.__dict__["_local_contacts"]

    def as_read(self, lesson: Lesson, *, is_review: bool) -> Lesson:
        """The lesson as a reader sees it in any channel (placeholders filled, the review check on reviews)."""
        return as_read(lesson, is_review=is_review, contacts=self.local_contacts)

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

