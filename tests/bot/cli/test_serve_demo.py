"""The README's first command, as a new user runs it: `lessonloop serve --demo` in an empty folder."""
import os
import re
import signal
import subprocess
import sys
import time
from email import message_from_bytes, policy

import httpx

from tests.conftest import CLI_WITH_FIXTURE_LESSONS, free_port


def test_serve_demo_sends_first_nudges_and_answers_its_links(tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("LESSONLOOP_")}
    proc = subprocess.Popen([sys.executable, "-c", CLI_WITH_FIXTURE_LESSONS, "serve", "--demo", "--port", str(port)],
                            cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(150):
            try:
                if httpx.get(f"{base}/healthz", timeout=1).json()["status"] == "ok":
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        else:
            raise AssertionError("the server did not come up")
        mails = sorted((tmp_path / "outbox").glob("delivery-*.eml"))
        assert len(mails) == 13 and (tmp_path / "lessonloop.db").exists()
        text = message_from_bytes(mails[0].read_bytes(), policy=policy.default).get_body(("plain",)).get_content()
        link = re.search(rf"{base}/r/[\w.-]+\?check=1", text).group()
        assert "Confirm and save my answer" in httpx.get(link).text
        saved = httpx.post(link.split("?")[0], data={"check": "1", "practice": "changed"})
        assert saved.status_code == 200 and "your answer is saved" in saved.text
    finally:
        proc.send_signal(signal.SIGINT)
        output = proc.communicate(timeout=20)[0]
    assert "demo: 13 people" in output and "outbox" in output
