"""Fixtures for the Slack tests: the loopback Slack-compatible Web API and a service configured for it."""

import asyncio

import pytest

from tests.bot.slack.helpers import slack_settings
from tests.bot.slack.web_api_standin import SlackStandIn
from bot.compose import build_service


@pytest.fixture
def slack_api():
    api = SlackStandIn().start()
    yield api
    api.stop()


@pytest.fixture
def slack_service(settings, slack_api):
    service = build_service(slack_settings(settings, slack_api))
    yield service
    asyncio.run(service.close())
