"""The Slack side of the web app: one slack_bolt AsyncApp, reached over HTTP at /slack/events
(interactivity, events and the slash command share it) or, with an app token, over Socket Mode.

Bolt checks every request's signature and refuses any older than five minutes; that stays on."""

import logging
from contextlib import asynccontextmanager

from fastapi import APIRouter, Request
from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler
from slack_bolt.async_app import AsyncApp

from bot.slack import commands as slack_commands

from bot.slack import home_tab as slack_home_tab

from bot.slack import loop_actions as slack_loop_actions

from bot.slack import replies as slack_replies

from bot.slack import voice_actions as slack_voice
from bot.core.service import Service
from bot.slack.recorder import Recorder
from bot.slack.web import SlackApi, web_client

log = logging.getLogger("lessonloop.slack")
EVENTS_PATH = "/slack/events"


def slack_api(service: Service) -> SlackApi:
    """The channel's client, so sends and taps share one workspace budget (a new one if sends are off)."""
    api = getattr(service.channels.get("slack"), "api", None)
    return api if api is not None else SlackApi.from_settings(service.settings)


def build_bolt_app(service: Service, api: SlackApi, recorder: Recorder) -> AsyncApp:
    settings = service.settings
    # bolt gets a client of its own (it only calls auth.test); our calls go through `api`, paced
    app = AsyncApp(
        client=web_client(settings),
        signing_secret=settings.slack_secret(),
        process_before_response=False,
        request_verification_enabled=True,
        logger=log,
    )
    slack_replies.register(app, service, api, recorder=recorder)
    for module in (slack_home_tab, slack_commands, slack_loop_actions, slack_voice):
        module.register(app, service, api)
    return app


def router(service: Service) -> APIRouter:
    recorder = Recorder(service)
    bolt = build_bolt_app(service, slack_api(service), recorder)
    handler = AsyncSlackRequestHandler(bolt)
    app_token = service.settings.slack_app_token

    @asynccontextmanager
    async def lifespan(_app):
        async with socket_mode():  # taps queued at shutdown are written by service.close()
            yield

    @asynccontextmanager
    async def socket_mode():
        if not app_token:
            yield
            return
        from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

        socket = AsyncSocketModeHandler(bolt, app_token)
        await socket.connect_async()
        log.info("Slack Socket Mode connected")
        try:
            yield
        finally:
            await socket.close_async()

    slack = APIRouter(lifespan=lifespan)

    @slack.post(EVENTS_PATH)
    async def slack_events(request: Request):
        return await handler.handle(request)

    return slack
