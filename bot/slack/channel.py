"""Slack as a delivery channel: each nudge is a Block Kit direct message.

A person's Slack user (users.lookupByEmail) and DM channel (conversations.open) are found on their
first Slack nudge and stored, so every later week costs one chat.postMessage per person. A person not
in the workspace fails permanently (email takes over, the reason is kept) and is moved to email."""

import asyncio

from sqlalchemy import Engine
from sqlmodel import Session

from bot.core.db import make_engine
from bot.core.clock import utcnow
from bot.core.settings import Settings
from bot.slack.web import SlackApi
from digests.said_did_render import said_did_blocks
from bot.core.transport import Job, SendResult, TransportError
from digests.loop_chat import checkin_blocks, followup_blocks, reminder_blocks
from digests.loop_messages import subject
from digests.slack_nudge import fallback_text, nudge_blocks
from schedules.slack_people import SlackIdentity, load_identities, not_in_workspace, save_identities

NOT_IN_WORKSPACE = {"users_not_found", "user_not_found", "account_inactive", "user_disabled"}
IN_FLIGHT = 16  # concurrent requests; the pacer, not this, sets the rate


async def find_identity(api: SlackApi, email: str, user_id: str | None = None) -> SlackIdentity:
    """Their Slack user (by email, unless already known) and the DM channel the bot shares with them."""
    if user_id is None:
        user = (await api.lookup("users.lookupByEmail", email=email)).get("user") or {}
        if user.get("deleted"):
            raise TransportError("account_inactive", permanent=True)
        user_id = user["id"]
    opened = await api.lookup("conversations.open", users=user_id)
    return SlackIdentity(user_id, opened["channel"]["id"])


class SlackChannel:
    name = "slack"

    def __init__(self, api: SlackApi, database_url: str):
        self.api = api
        # its own small engine, made when first needed: channels are built before the service's engine
        self._database_url = database_url
        self._made: Engine | None = None

    def _engine(self) -> Engine:
        if self._made is None:
            self._made = make_engine(self._database_url)
        return self._made

    def prepare(self, job: Job) -> tuple[list[dict], str]:
        if job.loop:
            if job.loop.kind == "checkin":  # issue 13, part 5
                blocks = checkin_blocks(job.loop.lesson, job.loop.reply_to)
            else:
                blocks = reminder_blocks(job.loop) if job.loop.kind == "reminder" else followup_blocks(job.loop)
            return blocks, subject(job.loop)
        lesson = job.nudge.lesson
        blocks = nudge_blocks(lesson, job.delivery_id, is_review=job.nudge.is_review) + said_did_blocks(job.nudge.notes)
        return blocks, fallback_text(lesson, is_review=job.nudge.is_review)

    async def _send_one(
        self, job: Job, message: tuple[list[dict], str], known: SlackIdentity, found: dict[int, SlackIdentity]
    ) -> SendResult:
        try:
            if known.channel_id is None:
                known = found[job.person_id] = await find_identity(self.api, job.email, known.user_id)
            blocks, text = message
            posted = await self.api.post(
                "chat.postMessage", channel=known.channel_id, blocks=blocks, text=text, unfurl_links=False
            )
            return f"{posted['channel']}:{posted['ts']}"
        except TransportError as error:
            return error

    async def deliver(self, prepared: list[tuple[Job, tuple[list[dict], str]]]) -> dict[int, SendResult]:
        known = await asyncio.to_thread(self._load, [job.person_id for job, _ in prepared])
        found: dict[int, SlackIdentity] = {}
        gate = asyncio.Semaphore(IN_FLIGHT)

        async def one(job: Job, message) -> SendResult:
            async with gate:
                return await self._send_one(job, message, known.get(job.person_id, SlackIdentity(None, None)), found)

        outcomes = await asyncio.gather(*(one(job, message) for job, message in prepared))
        results = {job.delivery_id: outcome for (job, _), outcome in zip(prepared, outcomes)}
        gone = {
            job.person_id: r.message
            for (job, _), r in zip(prepared, outcomes)
            if isinstance(r, TransportError) and r.permanent and r.message in NOT_IN_WORKSPACE
        }
        await asyncio.to_thread(self._store, found, gone)
        return results

    def _load(self, person_ids: list[int]) -> dict[int, SlackIdentity]:
        with Session(self._engine()) as session:
            return load_identities(session, person_ids=person_ids)

    def _store(self, found: dict[int, SlackIdentity], gone: dict[int, str]) -> None:
        with Session(self._engine()) as session:
            save_identities(session, found=found)
            for person_id, reason in gone.items():
                not_in_workspace(session, person_ids=[person_id], reason=reason, now=utcnow())
            session.commit()

    async def close(self) -> None:
        await self.api.close()
        if self._made is not None:
            self._made.dispose()


def build_slack_channel(settings: Settings) -> SlackChannel:
    settings.slack_secret()  # refuse at start-up, not at the first request from Slack
    return SlackChannel(SlackApi.from_settings(settings), settings.sqlalchemy_url())
