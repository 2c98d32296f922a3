"""What every channel shows from a v2 lesson: placeholders filled from settings, never a seed reference,
the review check (and "Spaced review") on spaced reviews, every option's why after answering, sources as
title and link, and a sensitive lesson's support note before its content."""

import json

import pytest

from lesson_bank.local import placeholder_keys
from tests.digests.golden import CONTACTS, emails, hard_lessons, pages, read, slack_payloads, teams_cards

SLACK, TEAMS, EMAILS, PAGES = slack_payloads(), teams_cards(), emails(), pages()
EVERYTHING = {
    **{k: json.dumps(v, ensure_ascii=False) for k, v in {**SLACK, **TEAMS}.items()},
    **{k: v.parts.text + v.parts.html for k, v in EMAILS.items()},
    **PAGES,
}


@pytest.mark.parametrize("name", sorted(EVERYTHING))
def test_no_placeholder_or_seed_reference_reaches_a_reader(name):
    text = EVERYTHING[name]
    assert "{local:" not in text and ", lines " not in text and ".txt" not in text, name


def test_placeholders_are_filled_from_the_organisations_settings():
    local = hard_lessons()["local"]
    assert "{local:" in local.body + local.try_this_week + local.check.question
    (key, *_) = placeholder_keys(local.body + local.try_this_week + local.check.question)
    filled = CONTACTS[key]
    assert filled.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") in EVERYTHING["slack-dm-local"]
    assert filled in EVERYTHING["teams-nudge-local"] and filled in EMAILS["email-nudge-local"].parts.text


def test_a_spaced_review_asks_the_review_check_and_says_so():
    lesson = hard_lessons()["longest"]
    assert lesson.review_check and lesson.review_check.question != lesson.check.question
    for name in ("slack-review-longest", "teams-review-longest", "email-review-longest"):
        text = EVERYTHING[name]
        assert lesson.review_check.question.split("<")[0][:40] in text and lesson.check.question not in text, name
        assert "Spaced review" in text and "This week's lesson" not in text, name


def test_after_answering_every_option_shows_its_why():
    lesson = read(hard_lessons()["longest"])
    for name in ("slack-dm-after-reply-longest", "teams-after-reply-longest"):
        for why in lesson.check.whys:
            assert why[:50].replace("&", "&amp;") in EVERYTHING[name] or why[:50] in EVERYTHING[name], (name, why)
    for why in read(hard_lessons()["hostile"]).check.whys:
        assert why[:30].replace("&", "&amp;").replace("'", "&#39;") in PAGES["page-thanks-concern"]


def test_sources_are_titles_with_links_in_every_channel():
    lesson = hard_lessons()["longest"]
    (first, *_) = lesson.public_sources
    title = first.reader_citation(with_url=False)
    assert f"<{first.url}|" in EVERYTHING["slack-dm-longest"]
    assert f"[{title}]({first.url})" in EVERYTHING["teams-nudge-longest"]
    assert f'href="{first.url}"' in EMAILS["email-nudge-longest"].parts.html


def test_the_support_note_comes_before_the_content_everywhere():
    lesson = read(hard_lessons()["sensitive"])
    first_words = lesson.body.split("\n\n")[1][:20] if lesson.body.startswith("#") else lesson.body[:20]
    for name in ("slack-dm-sensitive", "teams-nudge-sensitive", "email-nudge-sensitive"):
        text = EVERYTHING[name]
        assert "Before you read" in text and text.index("Before you read") < text.index("Quick check"), name
    assert SLACK["slack-dm-sensitive"]["blocks"][2]["block_id"] == "support" and first_words
