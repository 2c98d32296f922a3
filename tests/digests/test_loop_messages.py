"""Every reminder and follow-up message, for every lesson in the bank, in every channel: valid Adaptive
Card 1.5, Block Kit within Slack's limits, email with the same words."""

from datetime import date

import pytest

from bot.core.content import load_bank
from bot.core.settings import Settings
from digests.cards import MAX_CARD_BYTES, card_bytes
from digests.loop_chat import followup_blocks, followup_card, reminder_blocks, reminder_card
from digests.loop_messages import FOLLOWUP_CHOICES, LoopLinks, LoopMessage, email_parts, followup_question
from tests.bot.teams.fakes import card_validator


@pytest.fixture(scope="module")
def lessons():
    return load_bank(Settings(env="test"), date.today()).lessons


def message(lesson, kind: str) -> LoopMessage:
    links = LoopLinks("https://x.test/f/tok", "https://x.test/u/tok", "https://x.test/reminders-off/tok")
    return LoopMessage(kind, 41, "Sam", lesson, date(2026, 11, 24), links)


def test_every_card_and_message_is_valid_for_every_lesson(lessons):
    validator = card_validator()
    for lesson in lessons:
        cards = [reminder_card(message(lesson, "reminder"), "tok")]
        cards += [
            followup_card(message(lesson, "followup"), "tok", answered, saved)
            for answered in (None, *dict(FOLLOWUP_CHOICES))
            for saved in (False, True)
        ]
        for card in cards:
            errors = sorted(validator.iter_errors(card), key=str)
            assert not errors, (lesson.id, errors[0].message)
            assert card_bytes(card) < MAX_CARD_BYTES
        for blocks in (reminder_blocks(message(lesson, "reminder")), followup_blocks(message(lesson, "followup"))):
            assert len(blocks) <= 50
            for block in blocks:
                if block["type"] == "actions":
                    assert all(len(e["text"]["text"]) <= 75 for e in block["elements"])
                if block["type"] == "header":
                    assert len(block["text"]["text"]) <= 150


def test_the_follow_up_says_when_what_and_the_thing_to_try_in_every_channel(lessons):
    lesson = lessons[0]
    m = message(lesson, "followup")
    question = followup_question(m)
    assert question == f"On 24 November you read “{lesson.title}” and planned to try: {lesson.try_this_week} Did you?"
    parts = email_parts(m)
    assert question in parts.text and "https://x.test/f/tok?outcome=helped" in parts.text
    assert "https://x.test/f/tok?outcome=not_relevant" in parts.html
    assert "did not fit" in str(followup_card(m, "tok")) and question in str(followup_blocks(m))


def test_a_reminder_email_offers_the_practice_answers_and_both_switches(lessons):
    lesson = lessons[0]
    parts = email_parts(message(lesson, "reminder"))
    assert parts.subject == f"Reminder: {lesson.title}"
    assert "https://x.test/f/tok?practice=changed" in parts.text and "reminders-off/tok" in parts.html
    assert "This is the only reminder for this lesson." in parts.text


def test_every_impact_card_and_message_is_valid_and_asks_on_the_five_point_scale(lessons):
    from markupsafe import escape

    from digests.loop_messages import IMPACT_CHOICES, impact_question

    validator = card_validator()
    assert [label for _, label in IMPACT_CHOICES] == ["A lot", "A little", "Not sure", "Not much", "Not at all"]
    for lesson in lessons:
        m = message(lesson, "impact")
        for answered in (None, *dict(IMPACT_CHOICES)):
            card = followup_card(m, "tok", answered)
            errors = sorted(validator.iter_errors(card), key=str)
            assert not errors, (lesson.id, errors[0].message)
            assert card_bytes(card) < MAX_CARD_BYTES
        blocks = followup_blocks(m)
        assert len(blocks) <= 50 and all(len(b["text"]["text"]) <= 150 for b in blocks if b["type"] == "header")
        question = impact_question(m)
        assert question.startswith(f"Has “{lesson.title}” made a difference to your practice?")
        parts = email_parts(m)
        assert question in parts.text and str(escape(question)) in parts.html
        assert "https://x.test/f/tok?outcome=not_at_all" in parts.html and "Did you try it?" not in parts.html
