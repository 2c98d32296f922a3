"""Every card the project can produce is valid Adaptive Card 1.5 JSON and small enough for Teams."""

import json

import pytest

from bot.core.content import load_bank
from bot.core.settings import Settings
from digests.agenda import plain_agenda_item
from digests.cards import (
    MAX_CARD_BYTES,
    REPLY_VERB,
    ReplyState,
    agenda_card,
    card_bytes,
    fitted_nudge_card,
    nudge_card,
    theme_card,
    webhook_message,
)
from digests.nudge import Nudge, NudgeLinks
from lesson_bank.taxonomy import load_taxonomy
from tests.bot.teams.fakes import card_validator

STATES = [
    ReplyState(),
    ReplyState(check_answer=1, check_correct=False),
    ReplyState(check_answer=2, check_correct=True, practice="changed"),
    ReplyState(check_answer=1, check_correct=True, practice="not_relevant", has_reflection=True),
]


@pytest.fixture(scope="module")
def validator():
    return card_validator()


@pytest.fixture(scope="module")
def lessons():
    from datetime import date
    from tests.conftest import FIXTURE_LESSONS

    return load_bank(Settings(env="test"), date.today(), [FIXTURE_LESSONS]).lessons


def assert_valid(validator, card):
    errors = sorted(validator.iter_errors(card), key=str)
    assert not errors, errors[0].message
    assert card_bytes(card) < MAX_CARD_BYTES


def a_nudge(lesson, **kw):
    return Nudge("Sam", lesson, NudgeLinks("https://x.test/r/tok", "https://x.test/u/tok"), **kw)


def test_every_nudge_card_in_every_state_is_valid(validator, lessons):
    assert len(lessons) >= 80
    for lesson in lessons:
        for state in STATES:
            assert_valid(validator, fitted_nudge_card(a_nudge(lesson, first_nudge=True, is_review=True), "tok", state))


def test_every_agenda_and_theme_card_is_valid(validator, lessons):
    taxonomy = load_taxonomy()
    for lesson in lessons:
        item = plain_agenda_item(
            team_id=1, team_name="North", week="2026-W48", lesson=lesson, theme_label=taxonomy.theme_label(lesson.primary_theme)
        )
        for card in (agenda_card(item, "https://x.test/a/t?week=2026-W48"), theme_card(item, "https://x.test/a/t?week=2026-W48")):
            assert_valid(validator, card)
            assert webhook_message(card)["attachments"][0]["content"] is card


def test_answered_card_shows_answer_and_explanation_and_drops_its_buttons(lessons):
    lesson = lessons[0]
    fresh = json.dumps(nudge_card(a_nudge(lesson), "tok"))
    answered = json.dumps(nudge_card(a_nudge(lesson), "tok", ReplyState(check_answer=lesson.check.answer, check_correct=True)))
    assert '"check": 1' in fresh and '"check": 1' not in answered
    assert lesson.check.explanation in answered and lesson.check.explanation not in fresh
    assert '"practice": "changed"' in answered  # the practice question is still open


def test_buttons_carry_the_signed_token_and_the_child_reminder_is_shown(lessons):
    card = nudge_card(a_nudge(lessons[0]), "signed-token")
    actions = [a for block in card["body"] if block["type"] == "ActionSet" for a in block["actions"]]
    assert actions and all(a["verb"] == REPLY_VERB and a["data"]["token"] == "signed-token" for a in actions)
    assert "identify a child or family" in json.dumps(card)


def test_a_lesson_too_long_for_teams_is_shortened_not_lost(validator, lessons):
    lesson = lessons[0]
    from dataclasses import replace

    huge = replace(lesson, body="A long paragraph of case detail. " * 1500)
    card = fitted_nudge_card(a_nudge(huge), "tok")
    assert_valid(validator, card)
    assert "open it in full" in json.dumps(card)
