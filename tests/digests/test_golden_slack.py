"""Every Slack payload kind (DM nudge, after a reply, spaced review, App Home, reflection modal, slash reply,
concern notice), for the longest lessons and hostile names, parsed and validated by slack_sdk's own Block Kit
models: a block Slack would refuse (a label over 75 characters, a section over 3,000) fails here."""

import re

import pytest
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from digests.slack_nudge import BUTTON_LIMIT
from tests.digests.golden import CONTACT, HOSTILE_TEAM, hard_lessons, slack_payloads

PAYLOADS = slack_payloads()
PHONE_BUTTON = 40  # labels longer than this are clipped on phones


def _mrkdwn_texts(blocks: list[dict]):
    for block in blocks:
        for part in [block.get("text"), *(block.get("elements") or []), *(block.get("fields") or [])]:
            if isinstance(part, dict) and part.get("type") == "mrkdwn":
                yield part["text"]


def _buttons(blocks: list[dict]):
    for block in blocks:
        for element in block.get("elements") or []:
            if element.get("type") == "button":
                yield element


@pytest.mark.parametrize("name", sorted(PAYLOADS))
def test_slack_models_accept_the_payload_unchanged(name):
    payload = PAYLOADS[name]
    if payload.get("type") in ("modal", "home"):
        view = View(**payload)
        assert view.to_dict() == payload  # validates, and nothing was dropped or unknown
        blocks = payload["blocks"]
    else:
        blocks = payload["blocks"]
        parsed = Block.parse_all(blocks)
        assert [b.to_dict() for b in parsed] == blocks  # to_dict() runs slack_sdk's validation
    for text in _mrkdwn_texts(blocks):
        # Every & < > that is not Slack syntax (<url|text>, &amp; &lt; &gt;) has been escaped.
        bare = re.sub(r"<https?://[^|>]+\|[^>]*>|&(amp|lt|gt);", "", text)
        assert "<" not in bare and ">" not in bare and "&" not in bare, (name, text)
    for button in _buttons(blocks):
        label = button["text"]["text"]
        assert len(label) <= PHONE_BUTTON < BUTTON_LIMIT and not label.endswith("…"), (name, label)
        assert "style" not in button or not button["action_id"].startswith("check-"), "a styled check button"


@pytest.mark.parametrize("key", sorted(hard_lessons()))
def test_options_are_read_in_full_and_the_buttons_give_nothing_away(key):
    lesson = hard_lessons()[key]
    blocks = PAYLOADS[f"slack-dm-{key}"]["blocks"]
    text = "\n".join(_mrkdwn_texts(blocks))
    for option in lesson.check.options:
        escaped = option.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        assert escaped in text
    check = next(b for b in blocks if b.get("block_id") == "check")
    assert [b["text"]["text"] for b in check["elements"]] == [str(n) for n in range(1, len(lesson.check.options) + 1)]
    assert len({tuple(sorted(k for k in b if k not in ("text", "action_id", "value"))) for b in check["elements"]}) == 1


def test_hostile_names_and_contact_are_escaped():
    agenda = "\n".join(_mrkdwn_texts(PAYLOADS["slack-slash-agenda-hostile"]["blocks"]))
    assert "Children &amp; Families &lt;North&gt;" in agenda and HOSTILE_TEAM not in agenda
    dm = "\n".join(_mrkdwn_texts(PAYLOADS["slack-dm-hostile"]["blocks"]))
    assert "A&amp;E" in dm and "&lt;1 year" in dm and "<https://example.org/guide?a=1&amp;b=%3C2%3E|the guidance>" in dm
    concern = "\n".join(_mrkdwn_texts(PAYLOADS["slack-concern"]["blocks"]))
    assert CONTACT.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") in concern


def test_review_and_home_say_what_they_are():
    review = PAYLOADS["slack-review-longest"]["blocks"]
    assert "Spaced review" in review[1]["elements"][0]["text"] and "This week's lesson" not in str(review)
    home = PAYLOADS["slack-app-home"]["blocks"]
    listed = home[6]["text"]["text"].count("\n") + 1
    assert "(the latest 20 of 26)" in home[5]["text"]["text"] and listed == 20


def test_modal_prefill_fits_the_input():
    modal = PAYLOADS["slack-modal"]
    element = modal["blocks"][1]["element"]
    assert len(element["initial_value"]) <= element["max_length"] == 2000
