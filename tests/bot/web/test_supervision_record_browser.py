"""Sharing with a supervisor in headless Chromium (Debian's package, driven by Playwright): open the learning
record, make a link through the real form (so the browser's own Origin and Sec-Fetch headers meet the
edge's check), copy it from the page, and open the supervisor's view of it."""

import os
import shutil
import threading
import time

import pytest
import uvicorn

from bot.compose import build_service
from bot.web.app import create_app
from tests.bot.web.supervision_helpers import BENS, MONTH, OLD, RECENT, shared_history
from tests.conftest import free_port
from tests.digests import browser as renderers

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
if CHROMIUM is None and os.environ.get("CI"):
    raise RuntimeError("CI needs Debian's chromium for the browser tests (apt-get install -y chromium)")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]


@pytest.fixture
def record_link(settings):
    port = free_port()
    # links are made from the base URL, so it must be the address this test's server answers on
    service = build_service(settings.model_copy(update={"base_url": f"http://127.0.0.1:{port}"}))
    history = shared_history(service)
    server = uvicorn.Server(uvicorn.Config(create_app(service), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}{history.record_path(service, history.ann)}"
    server.should_exit = True
    thread.join(5)
    service.engine.dispose()


def test_share_from_the_record_and_open_the_shared_page(record_link, tmp_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 390, "height": 844}, bypass_csp=True)
        page.goto(record_link)
        assert "Nothing is shared." in page.inner_text("#sharing")
        page.check("input[name=period][value='1m']")
        page.select_option("#share-expiry", "7")
        page.click("button[name=how][value=link]")
        page.wait_for_url("**?shared=*")
        assert "Your link is ready" in page.inner_text("#sharing")
        link = page.input_value("#sharing input[readonly]")
        assert "/shared/" in link
        page.screenshot(path=str(tmp_path / "record-sharing.png"), full_page=True)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 391  # the sharing form fits a phone screen
        if renderers.skip_reason() is None:  # axe-core from the npm renderers (node is needed to install them)
            renderers.ensure_renderers()
            page.add_script_tag(path=str(renderers.SCRIPTS["axe"]))
            violations = page.evaluate(renderers.AXE, "#sharing")
            assert not violations, "; ".join(violations)

        supervisor = browser.new_page()  # another tab, as the supervisor would open the link
        supervisor.goto(link)
        text = supervisor.inner_text("main")
        assert "Ann Smith: learning shared for supervision" in text
        assert RECENT in text and MONTH in text
        assert OLD not in text and BENS not in text and "Ben Jones" not in text

        page.click("#sharing form[action*='/revoke'] button")
        page.wait_for_url("**?revoked=*")
        assert "Nothing is shared." in page.inner_text("#sharing")
        supervisor.reload()
        assert "This link does not work" in supervisor.inner_text("main")
        browser.close()
