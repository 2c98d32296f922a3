"""The roll-out check-in (issue 13, part 5) in every channel, for every lesson: valid Adaptive Card 1.5 and
Block Kit whose buttons are the nudge's own (so a tap goes down the one reply path onto the check-in's
reply), the question alone, and once answered the answer given but never whether it was right."""

from datetime import date

import pytest

from bot.core.content import load_bank
from bot.core.settings import Settings
from digests.cards import MAX_CARD_BYTES, card_bytes
from digests.loop_chat import checkin_blocks, checkin_card
from digests.loop_messages import LoopLinks, LoopMessage, email_parts, subject
from digests.nudge import ReplyState
from tests.bot.teams.fakes import card_validator


@pytest.fixture(scope="module")
def lessons():
    return load_bank(Settings(env="test"), date.today()).lessons


def _text(value) -> str:
    return str(value)


def test_every_check_in_is_valid_in_every_channel_and_shows_no_right_answer(lessons):
    validator = card_validator()
    for lesson in lessons:
        fresh = checkin_card(lesson, "tok", "https://x.test/r/tok", record_url="https://x.test/me/t")
        answered = checkin_card(lesson, "tok", "https://x.test/r/tok", ReplyState(lesson.check.answer, True, "changed"))
        for card in (fresh, answered):
            errors = sorted(validator.iter_errors(card), key=str)
            assert not errors, (lesson.id, errors[0].message)
            assert card_bytes(card) < MAX_CARD_BYTES
            assert lesson.try_this_week not in _text(card) and "Right answer" not in _text(card)
        data = [a["data"] for b in fresh["body"] if b["type"] == "ActionSet" for a in b["actions"]]
        assert [d.get("check") for d in data[:4]] == [1, 2, 3, 4] and all(d["token"] == "tok" for d in data)
        assert {d.get("practice") for d in data[4:]} == {"changed", "already", "not_yet", "not_relevant"}
        assert not [b for b in answered["body"] if b["type"] == "ActionSet"]
        assert f"You chose {lesson.check.answer}. Thank you." in _text(answered)
        blocks = checkin_blocks(lesson, 41)
        assert len(blocks) <= 50
        actions = [e for b in blocks if b["type"] == "actions" for e in b["elements"]]
        assert [(e["action_id"], e["value"]) for e in actions[:4]] == [(f"check-{n}", f"41:{n}") for n in range(1, 5)]
        assert {e["action_id"] for e in actions[4:]} == {
            "practice-changed",
            "practice-already",
            "practice-not_yet",
            "practice-not_relevant",
        }
        done = checkin_blocks(lesson, 41, ReplyState(2, False, "already"))
        assert not [b for b in done if b["type"] == "actions"] and "You chose 2." in _text(done) and "✅" not in _text(done)


def test_the_check_in_email_asks_the_question_alone_with_signed_answer_links(lessons):
    lesson = lessons[0]
    links = LoopLinks("https://x.test/r/tok", "https://x.test/u/tok", "", "https://x.test/me/t")
    parts = email_parts(LoopMessage("checkin", 41, "Sam", lesson, date(2027, 1, 4), links))
    assert parts.subject == subject(LoopMessage("checkin", 41, "Sam", lesson, date(2027, 1, 4), links))
    assert parts.subject.startswith("A two-tap check-in: ")
    for n in range(1, 5):
        assert f"https://x.test/r/tok?check={n}" in parts.text and f"https://x.test/r/tok?check={n}" in parts.html
    assert lesson.check.question in parts.text and lesson.try_this_week not in parts.text and lesson.title not in parts.text
