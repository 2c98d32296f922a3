"""The dashboard in headless Chromium (Debian's package, driven by Playwright): sign in through the
emailed link's button, and check the charts are drawn, on a laptop and a phone screen."""

import io
import os
import shutil
import threading
import time

import pytest
import uvicorn
from matplotlib import image as mpimg
from sqlmodel import Session, select

from bot.web import dashboard_auth
from bot.web.app import create_app
from bot.core.clock import utcnow
from schedules.models import Person, Team
from tests.conftest import free_port
from tests.digests import browser as renderers
from tests.seed_history import seed_history

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
if CHROMIUM is None and os.environ.get("CI"):
    raise RuntimeError("CI needs Debian's chromium for the dashboard screenshot test (apt-get install -y chromium)")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]


@pytest.fixture
def server(service):
    seed_history(service.engine, list(service.lessons.values()), teams=4, per_team=12, weeks=12)
    with Session(service.engine) as session:
        team = session.exec(select(Team).where(Team.name == "Team 1")).one()
        admin = Person(
            email="admin@example.org", name="Ada", role="social-worker", team_id=team.id, access="admin", created_at=utcnow()
        )
        session.add(admin)
        session.commit()
        link = dashboard_auth.new_link(service, session, admin, utcnow())
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(service), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    yield link.replace("http://testserver", f"http://127.0.0.1:{port}")
    server.should_exit = True
    thread.join(5)


def _blue_pixels(png: bytes) -> int:
    """Pixels in the chart's first colour (#1a56db): zero if the chart did not render."""
    pixels = mpimg.imread(io.BytesIO(png), format="png")[:, :, :3]
    target = (0x1A / 255, 0x56 / 255, 0xDB / 255)
    close = ((abs(pixels[:, :, i] - target[i]) < 0.08) for i in range(3))
    mask = next(close)
    for more in close:
        mask = mask & more
    return int(mask.sum())


@pytest.mark.parametrize("viewport", [{"width": 1280, "height": 900}, {"width": 390, "height": 844}])
def test_charts_render_in_chromium(server, viewport, tmp_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        # bypass_csp lets the test inject axe-core; the page itself still serves its CSP (tests/bot/web/test_edge.py)
        page = browser.new_page(viewport=viewport, bypass_csp=True)
        page.goto(server)
        page.click("button[type=submit]")
        page.wait_for_url("**/dashboard")
        for name in ("week", "theme", "role"):
            chart = page.locator(f"#chart-{name} svg")
            box = chart.bounding_box()
            assert box and box["width"] > 0.8 * min(viewport["width"], 1100) - 60 and box["height"] > 100
            shot = chart.screenshot(path=str(tmp_path / f"{name}-{viewport['width']}.png"))
            assert _blue_pixels(shot) > 200, name
        page.screenshot(path=str(tmp_path / f"dashboard-{viewport['width']}.png"), full_page=True)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= viewport["width"] + 1  # nothing forces sideways scrolling on a phone
        if renderers.skip_reason() is None:  # axe-core from the npm renderers (node is needed to install them)
            renderers.ensure_renderers()
            page.add_script_tag(path=str(renderers.SCRIPTS["axe"]))
            violations = page.evaluate(renderers.AXE, None)
            assert not violations, "; ".join(violations)
        browser.close()
