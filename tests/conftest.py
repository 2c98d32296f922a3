"""Shared fixtures: a real database (SQLite, or PostgreSQL when LESSONLOOP_TEST_DATABASE_URL is set),
a real SMTP server on loopback, and a service built from settings, as in production."""

import itertools
import os
import shutil
import socket
import sqlite3
import sys
from collections.abc import Iterator
from pathlib import Path
from datetime import datetime, timezone

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import Envelope
from sqlalchemy import create_engine, make_url, text

from bot.core.db import upgrade
from bot.compose import build_service
from bot.core.settings import Settings
from lesson_bank.bank import LoadResult, lesson_files, load_lessons

# A shell with PYTHONDONTWRITEBYTECODE set (this machine's has) makes every test process, and every child
# process a test starts, compile the whole project and its dependencies from source: about 10 s a process.
# The suite keeps Python's byte-code caches (git-ignored) whatever the shell says.
sys.dont_write_bytecode = False
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)

TEST_DB_ENV = "LESSONLOOP_TEST_DATABASE_URL"
FIXTURE_LESSONS = Path(__file__).parent / "data" / "lessons"
# For tests that start the CLI in a child process: the same fixed bank, set before the CLI runs.
CLI_WITH_FIXTURE_LESSONS = (
    f"import bot.core.content; from pathlib import Path; bot.core.content.BUNDLED_LESSONS = Path({str(FIXTURE_LESSONS)!r}); "
    "from bot.cli.main import main; main()"
)


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch, tmp_path):
    """Tests see only the settings they set: nothing leaks in from the developer's shell or .env."""
    for key in list(os.environ):
        if key.startswith("LESSONLOOP_") and key != TEST_DB_ENV:
            monkeypatch.delenv(key)
    # An empty folder: no stray .env from the repo root, and no tests/bot shadowing the bot package
    # in the child processes some tests start.
    monkeypatch.chdir(tmp_path)


@pytest.fixture(autouse=True)
def fixture_lessons(monkeypatch):
    """Services and commands in tests load a fixed v2 bank (tests/data/lessons), so tests do not move when
    the bundled content is edited. Tests of the bundled bank itself name lesson_bank.BUNDLED_LESSONS."""
    monkeypatch.setattr("bot.core.content.BUNDLED_LESSONS", FIXTURE_LESSONS)
    monkeypatch.setattr("bot.core.content.load_lessons", _load_lessons_once)


_loaded: dict[tuple, LoadResult] = {}


def _load_lessons_once(folders: list[tuple[Path, bool]], today, *, taxonomy=None) -> LoadResult:
    """Every service a test builds loads and lints the same files (0.3 s each time): load them once per
    process for each set of files as they are now (path, size and modification time of each), so a test
    that writes or edits a lesson file still gets a fresh load. The result is immutable (frozen, tuples)."""
    if taxonomy is not None:
        return load_lessons(folders, today, taxonomy=taxonomy)
    files = tuple(
        (str(path), stat.st_size, stat.st_mtime_ns)
        for folder, _ in folders
        for path in lesson_files(folder)
        for stat in [path.stat()]
    )
    key = (tuple((str(folder), local) for folder, local in folders), today, files)
    if key not in _loaded:
        _loaded[key] = load_lessons(folders, today)
    return _loaded[key]


_created = itertools.count()


def _admin_engine(url: str):
    return create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory):
    """Migrate once per session: a SQLite file to copy, or a PostgreSQL template database to clone.
    Names carry the process id so suites running side by side on one server never meet."""
    url = os.environ.get(TEST_DB_ENV)
    if not url:
        path = tmp_path_factory.mktemp("template") / "template.db"
        upgrade(f"sqlite:///{path}")
        with sqlite3.connect(path) as connection:  # fold the WAL into the file so a plain copy is complete
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        yield path
        return
    url = Settings(database_url=url).sqlalchemy_url()
    name = f"lessonloop_tpl_{os.getpid()}"
    admin = _admin_engine(url)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    template_url = make_url(url).set(database=name).render_as_string(hide_password=False)
    upgrade(template_url)
    yield name
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def database_url(tmp_path, migrated_template) -> Iterator[str]:
    """A fresh, migrated database for each test, cloned from the session's template in milliseconds."""
    url = os.environ.get(TEST_DB_ENV)
    if not url:
        path = tmp_path / "test.db"
        shutil.copyfile(migrated_template, path)
        yield f"sqlite:///{path}"
        return
    url = Settings(database_url=url).sqlalchemy_url()
    name = f"lessonloop_{os.getpid()}_{next(_created)}"
    admin = _admin_engine(url)
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{migrated_template}"'))
    yield make_url(url).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def settings(database_url, tmp_path) -> Settings:
    return Settings(
        env="test",
        database_url=database_url,
        mail_dir=tmp_path / "outbox",
        secret_key="test-secret-key",
        base_url="http://testserver",
    )


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
        self.pipelining = False  # offer PIPELINING (RFC 2920) after EHLO: clients may then send MAIL, RCPT, DATA together

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        return [*responses[:-1], "250-PIPELINING", responses[-1]] if self.pipelining else responses

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


def pytest_xdist_auto_num_workers(config) -> int:
    """`-n auto`: one worker more than there are CPUs. About a third of the suite's time is spent waiting on
    child processes, Chromium, SpamAssassin and sockets, so one worker per CPU leaves the CPUs idle (on
    2 CPUs: 3 workers 114 s, 2 workers 124 s)."""
    return (os.cpu_count() or 1) + 1
