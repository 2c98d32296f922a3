"""Screenshots of the closing-the-loop and frontline-voice surfaces (issues 13 and 17), taken from a real
`lessonloop serve --demo` in a temporary folder: the learning record (page and PDF), the dashboard and its
closing-the-loop, proposals, practice-moments and "you said, we did" pages, the follow-up and impact pages,
sharing with a supervisor, and the follow-up and impact Teams cards drawn by Microsoft's adaptivecards
renderer. Signs in as the demo admin the way anyone does: the sign-in form, then the link it emails (in
demo, a file in the outbox folder).

    uv run python docs/screenshots/make.py

Needs Debian's chromium and the npm renderers (`cd tests/renderers && npm ci`). Writes the PNGs listed in
docs/screenshots/README.md next to this file. Not a test (pytest collects only tests/)."""

import io
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import httpx
import pypdfium2
from PIL import Image

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))  # the renderer helpers live with the tests

from tests.digests import browser as renderers

OUT = Path(__file__).resolve().parent
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
CARD_WIDTH = 450  # as the golden card screenshots
LIMIT = 300_000  # bytes a screenshot may take in the repository
ADMIN = "maya.admin@example.org"


def save(png: bytes, name: str) -> None:
    """Written as is when small enough, else reduced to 256 colours (text stays sharp; gradients are few)."""
    if len(png) > LIMIT:
        buffer = io.BytesIO()
        Image.open(io.BytesIO(png)).convert("RGB").quantize(256).save(buffer, format="PNG", optimize=True)
        png = buffer.getvalue()
    if len(png) > LIMIT:
        raise SystemExit(f"{name} is {len(png)} bytes, over {LIMIT}: take a smaller part of the page")
    (OUT / name).write_bytes(png)
    print(f"{name:36} {len(png) // 1024:>4} KB")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_demo(folder: Path, port: int) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LESSONLOOP_")}  # the demo's own settings only
    return subprocess.Popen(
        [sys.executable, "-c", "from bot.cli.main import main; main()", "serve", "--demo", "--port", str(port)],
        cwd=folder,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def wait_up(base: str, proc: subprocess.Popen) -> None:
    for _ in range(300):
        if proc.poll() is not None:
            raise SystemExit(f"serve --demo stopped:\n{proc.communicate()[0][-3000:]}")
        try:
            if httpx.get(f"{base}/healthz", timeout=1).json()["status"] == "ok":
                return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise SystemExit("serve --demo did not come up in a minute")


def read_mail(path: Path) -> EmailMessage:
    return message_from_bytes(path.read_bytes(), policy=policy.default)  # type: ignore[return-value]


def by_subject(outbox: Path, start: str) -> EmailMessage:
    found = [m for m in map(read_mail, sorted(outbox.glob("*.eml"))) if str(m["Subject"]).startswith(start)]
    if not found:
        raise SystemExit(f"no mail whose subject starts {start!r} in {outbox}")
    return found[0]


def link_in(message: EmailMessage, base: str, path: str) -> str:
    """The first link to `path` in the mail's plain text, or "" (also for a mail still being written)."""
    body = message.get_body(("plain",))
    found = re.search(rf"{re.escape(base)}{path}[\w.-]+", body.get_content()) if body is not None else None
    return found.group() if found else ""


def sign_in(page, base: str, outbox: Path) -> None:
    """The sign-in form, then the emailed link's button, as a lead does it."""
    page.goto(f"{base}/dashboard/sign-in")
    page.fill("input[name=email]", ADMIN)
    page.click("button[type=submit]")
    for _ in range(100):
        # the link goes after the page has answered; a file may still be being written
        found = [link for m in outbox.glob("mail-*.eml") if (link := link_in(read_mail(m), base, "/dashboard/s/"))]
        if found:
            break
        time.sleep(0.1)
    else:
        raise SystemExit(f"no sign-in link arrived in {outbox}")
    page.goto(found[0])
    page.click("button[type=submit]")
    page.wait_for_url("**/dashboard")


def shoot(browser, url: str, name: str, viewports=(DESKTOP, PHONE), cookies=None) -> None:
    for viewport in viewports:
        context = browser.new_context(viewport=viewport)
        if cookies:
            context.add_cookies(cookies)
        page = context.new_page()
        page.goto(url)
        page.wait_for_load_state("networkidle")
        save(page.screenshot(full_page=True), f"{name}-{viewport['width']}.png")
        context.close()


def pdf_first_page(url: str, name: str) -> None:
    pdf = pypdfium2.PdfDocument(httpx.get(url, timeout=120).content)
    image = pdf[0].render(scale=1.5).to_pil()  # 1.5 × 72 dpi: an A4 page about 890 px wide
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    save(buffer.getvalue(), name)
    pdf.close()


def teams_cards(folder: Path, browser) -> None:
    """The follow-up and impact question as the Teams channel would send them, from the demo's own rows."""
    os.chdir(folder)  # the demo's .env: its database and secret
    from sqlmodel import Session, col, select

    from bot.compose import build_service
    from bot.core.clock import utcnow
    from bot.core.learning_records import record_url
    from bot.core.loop_sending import loop_message
    from bot.core.settings import Settings
    from digests.loop_chat import followup_card
    from schedules.models import Delivery, DeliveryStatus, Person

    service = build_service(Settings())
    tab = browser.new_page(viewport={"width": CARD_WIDTH + 20, "height": 900})
    tab.set_content(renderers.CARD_PAGE % CARD_WIDTH)
    for key in ("markdown", "cards"):
        tab.add_script_tag(path=str(renderers.SCRIPTS[key]))
    now = utcnow()
    with Session(service.engine) as session:
        for kind in ("followup", "impact"):
            asked = session.exec(
                select(Delivery)
                .where(Delivery.kind == kind, Delivery.status == DeliveryStatus.SENT)
                .order_by(col(Delivery.id).desc())
            ).first()
            assert asked is not None and asked.id is not None and asked.parent_id is not None, kind
            parent = session.get(Delivery, asked.parent_id)
            person = session.get(Person, asked.person_id)
            assert parent is not None and parent.sent_at is not None and person is not None and person.id is not None
            message = loop_message(
                service,
                kind=kind,
                delivery_id=asked.id,
                parent_id=asked.parent_id,
                person_id=person.id,
                first_name=person.name.split()[0],
                lesson=service.lessons[asked.lesson_id],
                read_on=parent.sent_at.date(),
                unsubscribe_url="",
                now=now,
                record_url=record_url(service, person.id, now),
            )
            card = followup_card(message, service.signer.sign("followup", asked.id, now + service.link_lifetime))
            tab.evaluate(renderers.RENDER_CARD, [card, renderers.HOST_CONFIG])
            save(tab.locator("#host").screenshot(), f"teams-{kind}.png")
    service.engine.dispose()
    os.chdir(ROOT)


def main() -> None:
    reason = renderers.skip_reason()
    if reason:
        raise SystemExit(reason)
    if not all(path.exists() for path in renderers.SCRIPTS.values()):
        raise SystemExit(f"the npm renderers are missing: cd {renderers.RENDERERS} && npm ci")
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="lessonloop-shots-") as tmp:
        folder, port = Path(tmp), free_port()
        base, outbox = f"http://127.0.0.1:{port}", Path(tmp) / "outbox"
        proc = start_demo(folder, port)
        try:
            wait_up(base, proc)
            followup, impact = by_subject(outbox, "Did you try it?"), by_subject(outbox, "Has it made a difference?")
            record = link_in(followup, base, "/me/")
            assert record, "the follow-up mail has no learning record link"
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=renderers.CHROMIUM, args=renderers.ARGS)
                shoot(browser, record, "page-record")
                pdf_first_page(f"{record}/record.pdf", "pdf-record-page1.png")
                shoot(browser, link_in(followup, base, "/f/"), "page-followup", viewports=(PHONE,))
                shoot(browser, link_in(impact, base, "/f/"), "page-impact", viewports=(PHONE,))

                # sharing with a supervisor: the person makes a link on their record, the supervisor opens it
                page = browser.new_page(viewport=PHONE)
                page.goto(record)
                page.check("input[name=period][value='1m']")
                page.click("button[name=how][value=link]")
                page.wait_for_url("**?shared=*")
                save(page.locator("#sharing").screenshot(), "page-record-sharing-390.png")
                shared = page.input_value("#sharing input[readonly]")
                page.close()
                shoot(browser, shared, "page-shared")

                lead = browser.new_context(viewport=DESKTOP)
                sign_in(lead.new_page(), base, outbox)
                cookies = lead.cookies()
                lead.close()
                shoot(browser, f"{base}/dashboard", "dashboard", cookies=cookies)
                shoot(browser, f"{base}/dashboard/loop", "dashboard-loop", cookies=cookies)
                for name in ("proposals", "moments", "said-did"):
                    shoot(browser, f"{base}/dashboard/{name}", f"dashboard-{name}", viewports=(DESKTOP,), cookies=cookies)
                teams_cards(folder, browser)
                browser.close()
        finally:
            proc.send_signal(signal.SIGINT)
            output = proc.communicate(timeout=30)[0]
    print("\n".join(line for line in output.splitlines() if line.startswith("demo:")))


if __name__ == "__main__":
    main()
