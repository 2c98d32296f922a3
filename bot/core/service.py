"""What a command, the web app or a job is handed: settings, the engine, the lesson bank, the signer and the
channels. It imports no channel: bot.compose builds them and hands them in."""

import asyncio
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import Engine

from bot.core.settings import Settings
from bot.core.signing import Signer
from bot.core.transport import Channel
from lesson_bank.model import Lesson
from schedules.slots import WorkingHours


@dataclass
class Service:
    settings: Settings
    engine: Engine
    lessons: dict[str, Lesson]
    signer: Signer
    channels: dict[str, Channel] = field(default_factory=dict)
    reply_writer: Any = field(default=None, repr=False, compare=False)  # bot.core.reply_writer, made on first use

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
        if self.reply_writer is not None:
            await asyncio.to_thread(self.reply_writer.close)  # every queued reply is written before we stop
        for channel in self.channels.values():
            await channel.close()
        self.engine.dispose()
