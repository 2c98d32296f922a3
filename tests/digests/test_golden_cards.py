"""Every Teams card kind (nudge, spaced review, after a reply with the concern notice, channel agenda and
theme) for the longest lessons and hostile names: valid against the Adaptive Cards schema (with Teams'
`msteams` extension), then drawn by Microsoft's `adaptivecards` renderer in headless Chromium at Teams'
~450 px, failing when any text is clipped or axe-core finds a violation. Screenshots go to docs/screenshots."""

import json
from datetime import date

import pytest

from digests.cards import WEBHOOK_CARD_VERSION, card_bytes
from digests.loop_chat import followup_card
from digests.loop_messages import LoopLinks, LoopMessage, asked
from tests.bot.teams.fakes import card_validator
from tests.digests import browser
from tests.digests.golden import hard_lessons, teams_cards

CARDS = teams_cards()
WIDTH = 450
SHOWN = ("longest", "hostile")  # the screenshots committed for review


@pytest.mark.parametrize("name", sorted(CARDS))
def test_card_is_valid_full_width_and_small_enough(name):
    card = CARDS[name]
    errors = sorted(card_validator().iter_errors(card), key=str)
    assert not errors, errors[0].message
    assert card["msteams"] == {"width": "Full"} and card_bytes(card) < 20_000
    if "channel" in name:  # posted through the Workflows webhook, which cannot show 1.5
        assert card["version"] == WEBHOOK_CARD_VERSION == "1.4"


def test_the_check_reads_every_option_in_full_and_its_buttons_are_numbers():
    for key, lesson in hard_lessons().items():
        body = json.dumps(CARDS[f"teams-nudge-{key}"], ensure_ascii=False)
        assert all(f"**{n}.** {option}" in body for n, option in enumerate(lesson.check.options, 1))
        sets = [b for b in CARDS[f"teams-nudge-{key}"]["body"] if b["type"] == "ActionSet"]
        assert [a["title"] for a in sets[0]["actions"]] == [str(n) for n in range(1, len(lesson.check.options) + 1)]
        assert all("style" not in a for a in sets[0]["actions"])  # nothing marks the right answer


def test_the_concern_notice_is_a_separate_attention_container_first():
    after = CARDS["teams-after-reply-longest"]
    first = after["body"][0]
    assert first["type"] == "Container" and first["style"] == "attention" and "worried about a child" in first["items"][0]["text"]
    assert "color" not in json.dumps(after["body"][1:])  # no green "right answer" text (Teams' green is ~2:1 on white)


@pytest.fixture(scope="module")
def page():
    with browser.chromium() as chromium:
        tab = chromium.new_page(viewport={"width": WIDTH + 20, "height": 900})
        tab.set_content(browser.CARD_PAGE % WIDTH)
        for key in ("markdown", "cards", "axe"):
            tab.add_script_tag(path=str(browser.SCRIPTS[key]))
        yield tab


@pytest.mark.parametrize("name", sorted(CARDS))
def test_card_drawn_by_microsofts_renderer_at_450px_clips_nothing(page, name):
    blocks = page.evaluate(browser.RENDER_CARD, [CARDS[name], browser.HOST_CONFIG])
    assert blocks > 3, "the renderer drew no text"
    clipped = page.evaluate(browser.CLIPPED, page.query_selector("#host"))
    assert not clipped, f"{name}: " + "; ".join(clipped)
    violations = page.evaluate(browser.AXE, "#host")
    assert not violations, f"{name}: " + "; ".join(violations)
    if browser.WRITE_SCREENSHOTS and name.endswith(SHOWN):
        browser.SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.locator("#host").screenshot(path=str(browser.SCREENSHOTS / f"{name}.png"))


def test_the_old_layout_would_have_been_caught(page):
    """The detector works: the previous card (options as full-width buttons in one row) is clipped at 450 px."""
    options = hard_lessons()["longest"].check.options
    old = {
        "type": "AdaptiveCard",
        "version": "1.5",
        "body": [
            {"type": "TextBlock", "text": "Quick check", "wrap": True},
            {
                "type": "ActionSet",
                "actions": [{"type": "Action.Execute", "title": f"{n}. {o}", "verb": "x"} for n, o in enumerate(options, 1)],
            },
        ],
    }
    page.evaluate(browser.RENDER_CARD, [old, browser.HOST_CONFIG])
    assert page.evaluate(browser.CLIPPED, page.query_selector("#host"))


@pytest.mark.parametrize("kind", ["followup", "impact"])
def test_follow_up_and_impact_cards_show_every_answer_in_full_at_450px(page, kind):
    """Issues 13 and 17: the answers are longer than a nudge's buttons ("I tried it and it did not fit"); in
    one row Teams cut them to "I tried i…" and "Not …", so the person could not tell them apart."""
    links = LoopLinks("https://lessonloop.example.org/f/tok.abc", "", "", "https://lessonloop.example.org/me/tok.def")
    message = LoopMessage(kind, 41, "Sam", hard_lessons()["longest"], date(2026, 11, 24), links)
    card = followup_card(message, "tok")
    assert not sorted(card_validator().iter_errors(card), key=str)
    assert page.evaluate(browser.RENDER_CARD, [card, browser.HOST_CONFIG]) >= 3, "the renderer drew no text"
    clipped = page.evaluate(browser.CLIPPED, page.query_selector("#host"))
    assert not clipped, "; ".join(clipped)
    labels = page.eval_on_selector_all("#host .ac-pushButton", "els => els.map(e => e.textContent.trim())")
    assert all(label in labels for _, label in asked(kind).choices)
    violations = page.evaluate(browser.AXE, "#host")
    assert not violations, "; ".join(violations)
