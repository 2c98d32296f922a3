"""The learning record and the dashboard's closing-the-loop page in headless Chromium (Debian's package,
driven by Playwright; issue 13): on a phone (390 px) and a laptop (1280 px) neither page scrolls sideways,
axe-core finds no violation, and the record shows its owner's answers and nobody else's."""

import os
import shutil
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import uvicorn
from sqlmodel import Session, select

from bot.compose import build_service
from bot.core.clock import utcnow
from bot.core.service import Service
from bot.web import dashboard_auth
from bot.web.app import create_app
from schedules.models import Person
from tests.bot.web.supervision_helpers import BARRIER, BENS, MONTH, OLD, RECENT, shared_history
from tests.bot.web.test_loop_dashboard import add_lead
from tests.conftest import free_port
from tests.digests import browser as renderers
from tests.schedules import test_impact_stats, test_loop_stats

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
if CHROMIUM is None and os.environ.get("CI"):
    raise RuntimeError("CI needs Debian's chromium for the browser tests (apt-get install -y chromium)")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed")
VIEWPORTS = [{"width": 1280, "height": 900}, {"width": 390, "height": 844}]


@dataclass(frozen=True)
class Running:
    service: Service
    base: str


@pytest.fixture
def running(settings) -> Iterator[Running]:
    port = free_port()
    # links are made from the base URL, so it must be the address this test's server answers on
    service = build_service(settings.model_copy(update={"base_url": f"http://127.0.0.1:{port}"}))
    server = uvicorn.Server(uvicorn.Config(create_app(service), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    yield Running(service, f"http://127.0.0.1:{port}")
    server.should_exit = True
    thread.join(5)
    service.engine.dispose()


@pytest.fixture(scope="module")
def chromium():
    with renderers.chromium() as launched:  # skips, saying why, without chromium or the npm renderers
        yield launched


def fits_and_passes_axe(page, width: int) -> None:
    """No sideways scrolling (a wide table may scroll inside its own box, never the page) and no axe-core
    violation on the whole page."""
    scrolled = page.evaluate("document.documentElement.scrollWidth")
    assert scrolled <= width + 1, f"the page is {scrolled} px wide in a {width} px window"
    page.add_script_tag(path=str(renderers.SCRIPTS["axe"]))
    violations = page.evaluate(renderers.AXE, None)
    assert not violations, "; ".join(violations)


@pytest.mark.parametrize("viewport", VIEWPORTS, ids=lambda v: str(v["width"]))
def test_the_learning_record_fits_passes_axe_and_shows_only_its_owners_answers(running, chromium, viewport):
    history = shared_history(running.service)  # Ann: three answers and a follow-up; Ben, same team: one answer
    page = chromium.new_page(viewport=viewport, bypass_csp=True)  # bypass_csp lets axe-core be injected
    page.goto(running.base + history.record_path(running.service, history.ann))
    text = page.inner_text("main")
    assert "Ann Smith" in text
    for own in (RECENT, MONTH, OLD, BARRIER, *history.lessons):
        assert own in text, own
    assert BENS not in text and "Ben Jones" not in text
    fits_and_passes_axe(page, viewport["width"])
    page.close()


@pytest.mark.parametrize("viewport", VIEWPORTS, ids=lambda v: str(v["width"]))
def test_the_closing_the_loop_page_fits_and_passes_axe(running, chromium, viewport):
    service = running.service
    lesson = sorted(service.lessons)[0]
    test_loop_stats.seed(service.engine, {"North": 12, "South": 10}, lesson)
    test_impact_stats.seed(service.engine, {"East": (12, 2), "Tiny": (3, 1)}, lesson)
    add_lead(service, "admin@example.org", "admin", "North")
    with Session(service.engine) as session:
        admin = session.exec(select(Person).where(Person.email == "admin@example.org")).one()
        link = dashboard_auth.new_link(service, session, admin, utcnow())
    page = chromium.new_page(viewport=viewport, bypass_csp=True)
    page.goto(link)
    page.click("button[type=submit]")
    page.wait_for_url("**/dashboard")
    page.goto(f"{running.base}/dashboard/loop?by=team")
    text = page.inner_text("main")
    assert "Tried it and it helped" in text and "Impact at 3, 6 and 12 months" in text
    assert "North" in text and "East" in text  # figures by team
    assert "Tiny" not in text  # a team of fewer than k people is left out of every figure (issue 14)
    fits_and_passes_axe(page, viewport["width"])
    page.close()
