"""Spacing state, wrapping the fsrs package. Pure: cards in, cards out, the review time passed in."""

import json
import zlib
from dataclasses import dataclass
from datetime import datetime

from fsrs import Card, Rating, Scheduler

# Weekly nudges make minute-scale learning steps meaningless: cards go straight to day intervals.
# No fuzzing, so that planning is a pure function of its inputs.
SCHEDULER = Scheduler(learning_steps=(), relearning_steps=(), enable_fuzzing=False, maximum_interval=365)


@dataclass(frozen=True)
class ReviewResult:
    card_json: str
    due_at: datetime
    rating: Rating


def rating_for(check_correct: bool | None, practice: str | None) -> Rating | None:
    """How a reply rates the lesson; None means 'not relevant': retire it for this person."""
    if practice == "not_relevant":
        return None
    if check_correct is False:
        return Rating.Again
    if practice == "already":
        return Rating.Easy
    return Rating.Good


def new_card(person_id: int, lesson_id: str, at: datetime) -> Card:
    card_id = zlib.crc32(f"{person_id}:{lesson_id}".encode()) + 1  # stable, and never the sleep path
    return Card(card_id=card_id, due=at)


def review(card_json: str | None, person_id: int, lesson_id: str, rating: Rating, at: datetime) -> ReviewResult:
    card = Card.from_dict(json.loads(card_json)) if card_json else new_card(person_id, lesson_id, at)
    reviewed, _log = SCHEDULER.review_card(card, rating, review_datetime=at)
    return ReviewResult(json.dumps(reviewed.to_dict()), reviewed.due, rating)
