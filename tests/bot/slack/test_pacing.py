"""Slack's pacing with a fake clock (the project's one limiter, composed as SlackApi uses it), Retry-After
parsing, and Block Kit limits."""

import asyncio

import pytest

from bot.core.retry import header, retry_after
from bot.slack.web import SlackApi
from digests.slack_nudge import BUTTON_LIMIT, mrkdwn, nudge_blocks


class FakeClock:
    def __init__(self):
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds


def api(per_minute: int, clock: FakeClock) -> SlackApi:
    return SlackApi(None, per_minute=per_minute, lookup_per_minute=50, clock=clock, sleep=clock.sleep)


def send_times(slack: SlackApi, clock: FakeClock, channels: list[str | None]) -> list[float]:
    async def run():
        times = []
        for channel in channels:
            await slack.wait_turn(slack.post_limiter, channel)
            times.append(round(clock.now, 6))
        return times

    return asyncio.run(run())


def test_budget_spreads_sends_evenly():
    clock = FakeClock()
    times = send_times(api(300, clock), clock, [f"D{n}" for n in range(301)])
    assert times[:3] == [0.0, 0.2, 0.4]
    assert times[300] == pytest.approx(60.0)  # 300 a minute, no more


def test_one_message_a_second_per_channel():
    clock = FakeClock()
    times = send_times(api(6000, clock), clock, ["D1", "D2", "D1", "D1"])
    assert times[1] == pytest.approx(0.01) and times[2] == pytest.approx(1.0) and times[3] == pytest.approx(2.0)


def test_retry_after_pauses_everyone():
    clock = FakeClock()
    slack = api(6000, clock)
    send_times(slack, clock, ["D1"])
    slack.post_limiter.pause(30)
    assert send_times(slack, clock, ["D2"]) == [pytest.approx(30.0)]
    assert slack.post_limiter.pauses == 1


def test_retry_after_header_parsing():
    assert retry_after(header({"Retry-After": "7"}, "Retry-After"), 0) == 7.0
    assert retry_after(header({"retry-after": ["3"]}, "Retry-After"), 0) == 3.0
    assert header({}, "Retry-After") is None
    assert retry_after("soon", 1) == 2.0
    with pytest.raises(ValueError, match="per_minute"):
        api(0, FakeClock())


def test_markdown_to_mrkdwn_and_button_limits(service):
    assert mrkdwn("### What happened\nA **bold** [link](https://x.org)") == "*What happened*\n\nA *bold* <https://x.org|link>"
    assert (
        mrkdwn("A&E for a baby <1 year, see [it](https://x.org/?a=1&b=2)")
        == "A&amp;E for a baby &lt;1 year, see <https://x.org/?a=1&amp;b=2|it>"
    )
    for lesson in service.lessons.values():
        for block in nudge_blocks(lesson, 1):
            for element in block.get("elements", []):
                if element.get("type") == "button":
                    assert len(element["text"]["text"]) <= BUTTON_LIMIT
            if block["type"] == "section":
                assert len(block["text"]["text"]) <= 3000


def test_manifest_asks_for_exactly_what_the_app_uses():
    from pathlib import Path

    import yaml

    from bot.slack.app import EVENTS_PATH
    from bot.slack.commands import COMMAND

    manifest = yaml.safe_load((Path(__file__).resolve().parents[3] / "slack-app-manifest.yaml").read_text())
    assert set(manifest["oauth_config"]["scopes"]["bot"]) == {
        "chat:write",
        "im:write",
        "users:read",
        "users:read.email",
        "commands",
    }
    assert manifest["settings"]["event_subscriptions"]["bot_events"] == ["app_home_opened"]
    (command,) = manifest["features"]["slash_commands"]
    assert command["command"] == COMMAND
    urls = [
        command["url"],
        manifest["settings"]["interactivity"]["request_url"],
        manifest["settings"]["event_subscriptions"]["request_url"],
    ]
    assert all(url.endswith(EVENTS_PATH) for url in urls)
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True
