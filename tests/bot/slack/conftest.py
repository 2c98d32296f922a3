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


@pytest.fixture(params=["thread"])
def slack_service(request, settings, slack_api):
    """Taps are recorded on a thread here; tests that want the production child process ask for it
    with @pytest.mark.parametrize("slack_service", ["process"], indirect=True)."""
    service = build_service(slack_settings(settings, slack_api, slack_recorder=request.param))
    yield service
    asyncio.run(service.close())


