"""Every email kind (nudge, spaced review, team agenda, lead digest, digest with every figure hidden,
sign-in) and every page, for the longest lessons and hostile names: SpamAssassin's local tests score each
email 0.0, and axe-core finds no violation in headless Chromium at phone (375 px) and desktop (1200 px)
widths, where nothing may force sideways scrolling. Screenshots go to docs/screenshots."""

import re
import shutil
import subprocess
from email import message_from_bytes, policy

import pytest

from bot.core.settings import Settings
from bot.email.mailer import build_message
from bot.email.mime import build_encoded_email, qp_filled
from tests.digests import browser
from tests.digests.golden import ORGANISATION, emails, pages

EMAILS = emails()
PAGES = pages()
SENDER = "Northshire LessonLoop <lessonloop@lessonloop.example.org>"
WIDTHS = (375, 1200)
SHOWN = ("longest", "hostile", "digest", "all-hidden", "signin")


def raw_email(name: str) -> bytes:
    """The bytes the service sends: nudges through the fast MIME writer, the rest through the stdlib."""
    mail = EMAILS[name]
    if name.startswith(("email-nudge", "email-review")):
        unsubscribe = "https://lessonloop.example.org/u/tok.def"
        # the same bytes the email channel writes: quoted-printable bodies, CRLF (bot.email.channel)
        return build_encoded_email(
            sender=SENDER,
            to_name=mail.to_name,
            to_addr="zoe@example.org",
            subject=mail.parts.subject,
            text_qp=qp_filled(mail.parts.text, {}),
            html_qp=qp_filled(mail.parts.html, {}),
            message_id="<delivery-1@lessonloop.example.org>",
            extra_headers={"List-Unsubscribe": f"<{unsubscribe}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
        )
    settings = Settings(env="test", from_email=SENDER, base_url="https://lessonloop.example.org")
    return build_message(
        settings,
        to="sam@example.org",
        to_name=mail.to_name,
        subject=mail.parts.subject,
        text=mail.parts.text,
        html=mail.parts.html,
    ).as_bytes()


@pytest.mark.parametrize("name", sorted(EMAILS))
def test_every_email_names_the_organisation_and_says_unsubscribe(name):
    parts = EMAILS[name].parts
    for body in (parts.text, parts.html):
        assert "Stop these emails" not in body
        assert ORGANISATION in body or ORGANISATION.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") in body
    if name.startswith(("email-nudge", "email-review")):
        assert "Unsubscribe" in parts.text and ">Unsubscribe</a>" in parts.html
    if name.startswith("email-review"):
        assert parts.subject.startswith("Spaced review") and "This week's lesson" not in parts.text
    message = message_from_bytes(raw_email(name), policy=policy.default)
    assert message["To"].addresses[0].display_name, "every email names its recipient"


def test_agenda_and_digest_show_dates_and_a_hidden_digest_says_why():
    assert "week of 7 December" in EMAILS["email-agenda-longest"].parts.subject
    assert "2026-W50" not in re.sub(r'href="[^"]*"', "", EMAILS["email-agenda-longest"].parts.html)  # only in the link
    hidden = EMAILS["email-digest-all-hidden"].parts
    assert "Every figure is hidden this week" in hidden.html and hidden.html.count("hidden") < 6
    assert "Every figure is hidden this week" in hidden.text


def test_a_sensitive_lesson_shows_its_support_note_before_the_content():
    parts = EMAILS["email-nudge-sensitive"].parts
    assert parts.html.index("Before you read") < parts.html.index("Quick check")
    assert parts.text.index("BEFORE YOU READ") < parts.text.index("TRY THIS WEEK")


SPAMASSASSIN = shutil.which("spamassassin")
SPAM_KINDS = sorted(n for n in EMAILS if n.endswith(SHOWN))


@pytest.mark.skipif(SPAMASSASSIN is None, reason="SpamAssassin is not installed (apt-get install -y spamassassin)")
def test_spamassassin_scores_every_email_kind_zero():
    # One SpamAssassin run over an mbox of every kind: it loads its rules once (about 2 s), not once a message.
    mbox = b""
    for name in SPAM_KINDS:
        raw = re.sub(rb"^(>*From )", rb">\1", raw_email(name).replace(b"\r\n", b"\n"), flags=re.M)
        mbox += b"From lessonloop@example.org Tue Dec  1 12:00:00 2026\n" + raw.rstrip(b"\n") + b"\n\n"
    out = subprocess.run([SPAMASSASSIN, "-L", "-t", "--mbox"], input=mbox, capture_output=True, timeout=300)
    found = re.findall(rb"X-Spam-Status: \w+, score=(-?[\d.]+) required=[\d.]+ tests=(.*?)autolearn", out.stdout, re.S)
    assert len(found) == len(SPAM_KINDS), out.stdout[:500]
    results = [(name, score.decode(), " ".join(tests.decode().split())) for name, (score, tests) in zip(SPAM_KINDS, found)]
    failing = [r for r in results if float(r[1]) != 0.0]
    assert not failing, failing
    assert len(results) >= 9


@pytest.fixture(scope="module")
def chromium():
    with browser.chromium() as launched:
        yield launched


def _check(chromium, name: str, html: str) -> None:
    # One page for both widths: the content and axe-core are loaded once, then the viewport is resized and
    # every check runs again on the new layout.
    page = chromium.new_page(viewport={"width": WIDTHS[0], "height": 800})
    page.set_content(html)
    page.add_script_tag(path=str(browser.SCRIPTS["axe"]))
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 800})
        violations = page.evaluate(browser.AXE, None)
        assert not violations, f"{name} at {width}px: " + "; ".join(violations)
        assert page.evaluate("document.documentElement.scrollWidth") <= width, f"{name} scrolls sideways at {width}px"
        if browser.WRITE_SCREENSHOTS and width == 375 and (name.startswith("page-") or name.endswith(SHOWN)):
            browser.SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(browser.SCREENSHOTS / f"{name}-{width}.png"), full_page=True)
    page.close()


@pytest.mark.parametrize("name", sorted(EMAILS))
def test_html_email_has_no_axe_violations_at_phone_and_desktop_width(chromium, name):
    _check(chromium, name, EMAILS[name].parts.html)


@pytest.mark.parametrize("name", sorted(PAGES))
def test_page_has_no_axe_violations_at_phone_and_desktop_width(chromium, name):
    _check(chromium, name, PAGES[name])


def test_the_concern_notice_is_an_alert_apart_from_the_quiz_feedback():
    html = PAGES["page-thanks-concern"]
    alert = html[html.index('role="alert"') - 40 : html.index("</section>")]
    assert "worried about a child" in alert and "Not quite" not in alert and "That's right" not in alert
