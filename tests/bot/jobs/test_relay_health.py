"""Admins are told when the relay has been failing: the dispatcher's log, `lessonloop status` and /healthz."""

import json
import logging

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from bot.cli.main import app
from bot.compose import build_service
from bot.jobs.dispatcher import dispatch_due
from bot.jobs.planning import run_planning
from bot.web.app import create_app
from tests.conftest import free_port, utc
from tests.helpers import add_people

NOW = utc(2026, 11, 24, 12)


async def test_a_failing_relay_shows_in_the_log_status_and_healthz(settings, monkeypatch, caplog):
    port = free_port()  # nothing listens: every attempt fails
    smtp = settings.model_copy(update={"smtp_url": f"smtp://127.0.0.1:{port}"})
    service = build_service(smtp)
    add_people(
        service.engine,
        [
            "ann@example.org,Ann,gp,Surgery,NHS,Europe/London,Tuesday,10:00",
            "bob@example.org,Bob,gp,Surgery,NHS,Europe/London,Tuesday,10:00",
        ],
    )
    client = TestClient(create_app(service))
    assert client.get("/healthz").json()["delivery"]["state"] == "ok"
    run_planning(service, NOW)
    with caplog.at_level(logging.WARNING, logger="lessonloop.dispatch"):
        await dispatch_due(service, lambda: NOW)
        await dispatch_due(service, lambda: utc(2026, 11, 24, 12, 30))
    await service.close()
    assert any(
        "email delivery failing: 4 failed attempts since the last success (never)" in r.getMessage() for r in caplog.records
    )
    assert not any("example.org" in r.getMessage() for r in caplog.records)

    health = client.get("/healthz").json()
    assert health["status"] == "degraded"
    assert health["delivery"] | {"oldest_due": None} == {
        "state": "failing",
        "last_success": None,
        "consecutive_failures": 4,
        "oldest_due": None,
        "waiting": 2,
    }
    assert health["delivery"]["oldest_due"].startswith("2026-11-24T12:00")
    assert "last_error" not in health["delivery"]  # public page: no error text

    for key, value in {"DATABASE_URL": settings.database_url, "ENV": "test", "SECRET_KEY": "k" * 32}.items():
        monkeypatch.setenv(f"LESSONLOOP_{key}", value)
    result = CliRunner().invoke(app, ["status", "--json"])
    assert result.exit_code == 1, result.output
    report = json.loads(result.output)
    assert (report["state"], report["consecutive_failures"], report["waiting"]) == ("failing", 4, 2)
    assert "Connect" in report["last_error"] or "connect" in report["last_error"]
    text = CliRunner().invoke(app, ["status"]).output
    assert "email delivery: failing" in text and "failed attempts since: 4" in text
