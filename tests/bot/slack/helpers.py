"""Helpers for the Slack tests: a service configured for the loopback Web API, and interaction payloads
signed as Slack signs them. The fixtures are in conftest.py."""

import asyncio
import json
import time
from urllib.parse import urlencode

from slack_sdk.signature import SignatureVerifier
from sqlmodel import Session, select

from bot.jobs.dispatcher import dispatch_due
from bot.jobs.planning import run_planning
from schedules.models import Person
from tests.conftest import utc
from tests.helpers import add_people
from tests.bot.slack.web_api_standin import TOKEN, SlackStandIn

SIGNING_SECRET = "test-signing-secret"
NOW = utc(2026, 11, 24, 12)


def slack_settings(settings, slack_api, **extra):
    return settings.model_copy(
        update={
            "slack_bot_token": TOKEN,
            "slack_signing_secret": SIGNING_SECRET,
            "slack_api_url": slack_api.url,
            "slack_per_minute": 6000,
            "slack_lookup_per_minute": 6000,
            **extra,
        }
    )


def roster_row(n: int) -> str:
    return f"person{n}@example.org,Person{n} Test,social-worker,Team A,Agency,Europe/London,Tuesday,10:00"


def add_slack_people(service, api: SlackStandIn, count: int, *, on_slack: int | None = None) -> None:
    """`count` people preferring Slack; the first `on_slack` (default all) are in the workspace."""
    add_people(service.engine, [roster_row(n) for n in range(count)])
    with Session(service.engine) as session:
        for person in session.exec(select(Person)):
            person.channel = "slack"
            session.add(person)
        session.commit()
    for n in range(count if on_slack is None else on_slack):
        api.add_user(f"person{n}@example.org", f"U{n}")


def send_week(service, now=NOW):
    """Plan and dispatch as one `lessonloop dispatch --once` run would: one event loop, closed after."""
    run_planning(service, now)

    async def run():
        try:
            return await dispatch_due(service, lambda: now)
        finally:
            if "slack" in service.channels:
                await service.channels["slack"].api.close()

    return asyncio.run(run())


def signed_headers(body: str, *, timestamp: int | None = None, secret: str = SIGNING_SECRET, **extra) -> dict:
    ts = str(timestamp if timestamp is not None else int(time.time()))
    signature = SignatureVerifier(secret).generate_signature(timestamp=ts, body=body)
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": signature, **extra}


def interaction_body(payload: dict) -> str:
    return urlencode({"payload": json.dumps(payload)})


def post_interaction(client, payload: dict, **headers):
    body = interaction_body(payload)
    return client.post(
        "/slack/events",
        content=body,
        headers={"Content-Type": "application/x-www-form-urlencoded", **signed_headers(body, **headers)},
    )


def post_event(client, event: dict, **headers):
    body = json.dumps(
        {
            "token": "x",
            "team_id": "T1",
            "api_app_id": "A1",
            "type": "event_callback",
            "event_id": f"Ev{time.time_ns()}",
            "event_time": int(time.time()),
            "event": event,
        }
    )
    return client.post("/slack/events", content=body, headers={"Content-Type": "application/json", **signed_headers(body)})


def post_command(client, api: SlackStandIn, user_id: str, text: str, n: int = 1):
    body = urlencode(
        {
            "token": "x",
            "team_id": "T1",
            "team_domain": "example",
            "channel_id": "C1",
            "channel_name": "general",
            "user_id": user_id,
            "user_name": "someone",
            "command": "/lessonloop",
            "text": text,
            "api_app_id": "A1",
            "response_url": api.response_url(n),
            "trigger_id": "trig.1",
        }
    )
    return client.post(
        "/slack/events", content=body, headers={"Content-Type": "application/x-www-form-urlencoded", **signed_headers(body)}
    )


def block_action(user_id: str, action_id: str, value: str, *, channel: str = "D", ts: str = "1.0", block_id: str = "b") -> dict:
    return {
        "type": "block_actions",
        "user": {"id": user_id, "team_id": "T1"},
        "team": {"id": "T1", "domain": "example"},
        "api_app_id": "A1",
        "token": "x",
        "trigger_id": "trig.1",
        "response_url": "http://127.0.0.1:9/unused",
        "container": {"type": "message", "channel_id": channel, "message_ts": ts, "is_ephemeral": False},
        "channel": {"id": channel},
        "message": {"ts": ts, "text": "lesson"},
        "actions": [
            {"type": "button", "action_id": action_id, "block_id": block_id, "value": value, "action_ts": str(time.time())}
        ],
    }


def view_submission(view: dict, values: dict, *, view_id: str = "V1", trigger_id: str = "trig.2", user_id: str = "U0") -> dict:
    """A modal's submission as Slack sends it: the opened view with what the person typed in `values`."""
    return {
        "type": "view_submission",
        "user": {"id": user_id, "team_id": "T1"},
        "team": {"id": "T1"},
        "api_app_id": "A1",
        "token": "x",
        "trigger_id": trigger_id,
        "view": {**view, "id": view_id, "state": {"values": values}},
    }


def eventually(check, timeout: float = 20.0):
    """Poll until check() is truthy (work after ack happens in the background)."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(0.02)
