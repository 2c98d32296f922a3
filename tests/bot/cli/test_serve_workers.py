"""`serve --workers N`: N web processes on one port beside one jobs process, each saving replies through its
own reply writer; Ctrl-C stops them all."""

import os
import re
import signal
import subprocess
import sys
from email import message_from_bytes, policy
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text

from tests.conftest import free_port
from tests.helpers import wait_until_serving


def children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        found += [int(child) for child in (task / "children").read_text().split()]
    return found


def test_two_web_workers_and_one_jobs_process_serve_and_save(tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("LESSONLOOP_")}
    proc = subprocess.Popen(
        [sys.executable, "-c", "from bot.cli.main import main; main()", "serve", "--demo", "--workers", "2", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(base, tries=300)
        # uvicorn's supervisor starts the web workers; serve itself starts the one jobs process
        spawned = [Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode() for pid in children(proc.pid)]
        assert sum("spawn_main" in command for command in spawned) == 3, spawned  # two web workers, one jobs process
        mails = sorted((tmp_path / "outbox").glob("delivery-*.eml"))
        links = []
        for mail in mails:
            body = message_from_bytes(mail.read_bytes(), policy=policy.default).get_body(("plain",)).get_content()
            if found := re.search(rf"{base}/r/[\w.-]+", body):
                links.append(found.group())
        assert len(links) >= 10
        with httpx.Client(timeout=30) as client:  # one connection each time: the kernel spreads them over both workers
            for link in links:
                saved = client.post(link, data={"practice": "changed"}, headers={"Connection": "close"})
                assert saved.status_code == 200 and "your answer is saved" in saved.text
    finally:
        proc.send_signal(signal.SIGINT)
        output = proc.communicate(timeout=30)[0]
    assert proc.returncode == 0, output[-2000:]
    engine = create_engine(f"sqlite:///{tmp_path / 'lessonloop.db'}")
    with engine.connect() as connection:
        stored = connection.execute(text("SELECT count(*) FROM reply WHERE practice = 'changed'")).scalar_one()
    engine.dispose()
    assert stored >= len(links)
