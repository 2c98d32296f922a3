"""Shared fixtures: a real database (SQLite, or PostgreSQL when LESSONLOOP_TEST_DATABASE_URL is set),
a real SMTP server on loopback, and a service built from settings, as in production."""
import os
import socket
from pathlib import Path
from datetime import datetime, timezone

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import Envelope
from sqlalchemy import create_engine, text

from bot.db import upgrade
from bot.service import build_service
from bot.settings import Settings

TEST_DB_ENV = "LESSONLOOP_TEST_DATABASE_URL"
FIXTURE_LESSONS = Path(__file__).parent / "data" / "lessons"
# For tests that start the CLI in a child process: the same fixed bank, set before the CLI runs.
CLI_WITH_FIXTURE_LESSONS = (f"import bot.content; from pathlib import Path; bot.content.BUNDLED_LESSONS = Path({str(FIXTURE_LESSONS)!r}); "
                            "from bot.cli import main; main()")



@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    """Tests see only the settings they set: nothing leaks in from the developer's shell or .env."""
    for key in list(os.environ):
        if key.startswith("LESSONLOOP_") and key != TEST_DB_ENV:
            monkeypatch.delenv(key)
    monkeypatch.chdir(os.path.dirname(__file__))  # no stray .env from the repo root


@pytest.fixture(autouse=True)
def fixture_lessons(monkeypatch):
    """Services and commands in tests load a fixed v2 bank (tests/data/lessons), so tests do not move when
    the bundled content is edited. Tests of the bundled bank itself name lesson_bank.BUNDLED_LESSONS."""
    monkeypatch.setattr("bot.content.BUNDLED_LESSONS", FIXTURE_LESSONS)


def _reset_postgres(url: str) -> None:
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture
def database_url(tmp_path) -> str:
    url = os.environ.get(TEST_DB_ENV)
    if url:
        url = Settings(database_url=url).sqlalchemy_url()
        _reset_postgres(url)
    else:
        url = f"sqlite:///{tmp_path / 'test.db'}"
    upgrade(url)
    return url


@pytest.fixture
def settings(database_url, tmp_path) -> Settings:
    return Settings(env="test", database_url=database_url, mail_dir=tmp_path / "outbox",
                    secret_key="test-secret-key", base_url="http://testserver")


@pytest.fixture
def service(settings):
    service = build_service(settings)
    yield service
    service.engine.dispose()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RecordingHandler:
    """An SMTP server that keeps what it is given; addresses can be set to fail."""

    def __init__(self):
        self.messages: list[Envelope] = []
        self.reject: dict[str, str] = {}  # address -> SMTP reply for RCPT

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.reject:
            return self.reject[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope)
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server():
    handler = RecordingHandler()
    handler.port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=handler.port)
    controller.start()
    yield handler
    controller.stop()


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)
