"""Microsoft Teams: personal nudges sent proactively by the bot as Adaptive Cards.

A person can be reached once the app is installed for them (bot/teams_install.py stores the
conversation reference on the person). Nobody to send to is a permanent failure, so the dispatcher
falls back to email and records why."""

import asyncio
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
from sqlmodel import Session, col, select

from bot.core.db import make_engine
from bot.core.settings import Settings
from bot.core.signing import Signer
from bot.teams.auth import KeySet, RequestValidator, TokenProvider
from bot.teams.connector import Connector, ConversationRef, card_activity
from digests.said_did_render import said_did_card_items
from bot.core.transport import Job, SendResult, TransportError
from digests.cards import CardTooLarge, fitted_nudge_card
from digests.loop_chat import checkin_card, followup_card, record_action, reminder_card
from digests.loop_messages import subject
from schedules.models import Person

NOT_INSTALLED = "the LessonLoop Teams app is not installed for this person"
PARALLEL_SENDS = 16


class TeamsChannel:
    name = "teams"

    def __init__(self, settings: Settings, *, transport: httpx.AsyncBaseTransport | None = None, sleep=asyncio.sleep):
        self.client = httpx.AsyncClient(transport=transport, timeout=httpx.Timeout(30.0))
        app_id, password = settings.teams_app_id, settings.teams_app_password
        assert app_id is not None and password is not None  # built only when settings.teams_configured
        tokens = TokenProvider(self.client, token_url=settings.teams_token_endpoint(), app_id=app_id, password=password)
        self.connector = Connector(self.client, tokens, sleep=sleep)
        self.validator = RequestValidator(
            KeySet(self.client, settings.teams_openid_url), app_id=app_id, issuer=settings.teams_issuer
        )
        self.signer = Signer(settings.signing_key())
        self.link_lifetime = timedelta(days=settings.link_days)
        self.engine = make_engine(settings.sqlalchemy_url())

    def reply_token(self, delivery_id: int) -> str:
        return self.signer.sign("reply", delivery_id, datetime.now(timezone.utc) + self.link_lifetime)

    def prepare(self, job: Job) -> dict | TransportError:
        try:
            if job.loop:
                loop = job.loop
                if loop.kind == "checkin":  # issue 13, part 5
                    token = self.reply_token(loop.reply_to)
                    checkin = checkin_card(loop.lesson, token, loop.links.reply_url, record_url=loop.links.record_url)
                    return card_activity(checkin, summary=subject(loop))
                card = (
                    reminder_card(loop, self.reply_token(loop.reply_to))
                    if loop.kind == "reminder"
                    else followup_card(
                        loop, self.signer.sign("followup", loop.reply_to, datetime.now(timezone.utc) + self.link_lifetime)
                    )
                )
                return card_activity(card, summary=subject(loop))
            card = fitted_nudge_card(job.nudge, self.reply_token(job.delivery_id))
            if job.nudge.links.record_url:  # issue 13: the person's own learning record
                card["actions"].append(record_action(job.nudge.links.record_url))
            card["body"] += said_did_card_items(job.nudge.notes)  # issue 17
        except CardTooLarge as exc:
            return TransportError(str(exc), permanent=True)
        return card_activity(card, summary=job.nudge.lesson.title)

    def _references(self, person_ids: list[int]) -> dict[int, ConversationRef]:
        with Session(self.engine) as session:
            rows = session.exec(select(Person.id, Person.teams_conversation_json).where(col(Person.id).in_(person_ids)))
            return {pid: ConversationRef.from_json(text) for pid, text in rows if text and pid is not None}  # ids: never None

    async def _send_one(self, gate: asyncio.Semaphore, ref: ConversationRef | None, activity: Any) -> SendResult:
        if isinstance(activity, TransportError):
            return activity
        if ref is None:
            return TransportError(NOT_INSTALLED, permanent=True)
        async with gate:
            try:
                return await self.connector.send(ref, activity) or None
            except TransportError as exc:
                return exc

    async def deliver(self, prepared: list[tuple[Job, Any]]) -> dict[int, SendResult]:
        references = self._references([job.person_id for job, _ in prepared])
        gate = asyncio.Semaphore(PARALLEL_SENDS)
        results = await asyncio.gather(
            *(self._send_one(gate, references.get(job.person_id), activity) for job, activity in prepared)
        )
        return {job.delivery_id: result for (job, _), result in zip(prepared, results)}

    async def close(self) -> None:
        await self.client.aclose()
        self.engine.dispose()
