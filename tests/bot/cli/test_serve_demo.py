"""The README's first command, as a new user runs it: `lessonloop serve --demo` in an empty folder."""

import os
import re
import signal
import socket
import subprocess
import sys
from email import message_from_bytes, policy

import httpx

from tests.conftest import CLI_WITH_FIXTURE_LESSONS, free_port
from tests.helpers import wait_until_serving


def test_serve_demo_sends_first_nudges_and_answers_its_links(tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("LESSONLOOP_")}
    proc = subprocess.Popen(
        [sys.executable, "-c", CLI_WITH_FIXTURE_LESSONS, "serve", "--demo", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until_serving(base)
        mails = sorted((tmp_path / "outbox").glob("delivery-*.eml"), key=lambda p: int(p.stem.split("-")[1]))
        # 13 first nudges, one follow-up (issue 13) and one impact question (issue 17), in that order
        assert len(mails) == 15 and (tmp_path / "lessonloop.db").exists()
        followup, impact = (message_from_bytes(m.read_bytes(), policy=policy.default) for m in mails[-2:])
        assert followup["Subject"].startswith("Did you try it?: ")
        assert impact["Subject"].startswith("Has it made a difference?: ")
        asked = impact.get_body(("plain",)).get_content()
        assert "made a difference to your practice?" in asked and "A lot" in asked and "Not at all" in asked
        assert httpx.get(re.search(rf"{base}/f/[\w.-]+", asked).group()).status_code == 200
        record = re.search(rf"{base}/me/[\w.-]+", followup.get_body(("plain",)).get_content()).group()
        page = httpx.get(record)
        assert page.status_code == 200 and "I will write down who else I see in the home" in page.text
        assert "We now talk through one case like this" in page.text  # last month's impact answer
        assert httpx.get(f"{record}/record.pdf", timeout=60).content.startswith(b"%PDF")  # the first PDF loads fpdf2
        text = message_from_bytes(mails[0].read_bytes(), policy=policy.default).get_body(("plain",)).get_content()
        link = re.search(rf"{base}/r/[\w.-]+\?check=1", text).group()
        assert "Confirm and save my answer" in httpx.get(link).text
        saved = httpx.post(link.split("?")[0], data={"check": "1", "practice": "changed"})
        assert saved.status_code == 200 and "your answer is saved" in saved.text
        said = [m for m in mails if "You said handovers lose information" in m.read_text()]
        assert len(said) == 3  # the three people in Council Children's Services (issue 17)
    finally:
        proc.send_signal(signal.SIGINT)
        output = proc.communicate(timeout=20)[0]
    assert "demo: 13 people" in output and "outbox" in output
    assert ".env" in output and "LESSONLOOP_SECRET_KEY" in (tmp_path / ".env").read_text()
    assert f"LESSONLOOP_BASE_URL=http://127.0.0.1:{port}" in (tmp_path / ".env").read_text()
    # every other README command now works in the same folder, with no flags (run side by side: each is a
    # cold Python start, and they only read, apart from the audit row of the export)
    commands = (["replies"], ["stats"], ["plan", "--dry-run"], ["people", "export", "amira.social@example.org"], ["audit"])
    running = [
        (
            command,
            subprocess.Popen(
                [sys.executable, "-c", "from bot.cli.main import main; main()", *command],
                cwd=tmp_path,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            ),
        )
        for command in commands
    ]
    for command, child in running:
        stderr = child.communicate(timeout=120)[1]
        assert child.returncode == 0, (command, stderr[-2000:])
        assert "Traceback" not in stderr

    assert "a follow-up" in output and "learning record: http://127.0.0.1" in output
    assert 'an impact question ("Has it made a difference?") went to' in output and mails[-1].name in output
    # two people asked in a 13-person demo: below the default threshold of 5, and the demo says so
    assert "impact table on /dashboard/loop shows them as hidden: fewer than LESSONLOOP_MIN_CELL (5)" in output
    assert "demo: a lesson proposal" in output


def test_a_port_in_use_prints_one_clear_line(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("LESSONLOOP_")}
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-c", "from bot.cli.main import main; main()", "serve", "--demo", "--port", str(port)],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert f"port {port} on 127.0.0.1 is already in use" in done.stderr and len(done.stderr.strip().splitlines()) == 1
