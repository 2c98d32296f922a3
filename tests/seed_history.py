"""A seeded history: several teams over some weeks of sent nudges and replies, written in bulk.

Used by the statistics, agenda and dashboard tests and by bench/stats.py. Deterministic for a seed.
Replies thin out week by week (a fatigue signal) and some themes are marked "not yet" more often."""

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import func, insert, text
from sqlmodel import Session, select

from lesson_bank.model import Lesson
from schedules.models import Delivery, Person, Reply, Team
from schedules.rollup import mark_stale
from schedules.slots import week_key

ROLES = ("social-worker", "health-visitor", "teacher", "police", "gp")
HARD_THEMES = ("disguised-compliance", "hidden-men")  # where "not yet" is common
BARRIER_TEXT = (
    "No time with my caseload this week.",
    "Couldn't get hold of the GP surgery, waiting on a call back.",
    "Hard to raise it with Mrs Smith in front of the family.",
    "System would not let me record it.",
)


@dataclass(frozen=True)
class Seeded:
    team_ids: dict[str, int]
    weeks: list[str]
    first_day: date


def _people(session: Session, teams: int, per_team: int, agencies: int, now: datetime) -> dict[int, tuple[int, str, int, str]]:
    team_ids, people = {}, {}
    for t in range(teams):
        team = Team(name=f"Team {t + 1}", agency=f"Agency {t % agencies + 1}")
        session.add(team)
        session.flush()
        team_ids[team.name] = team.id
        for p in range(per_team):
            role = ROLES[p % len(ROLES)]
            person = Person(
                email=f"p{t}-{p}@example.org",
                name=f"Person {t}-{p}",
                role=role,
                team_id=team.id,
                agency=team.agency,
                created_at=now,
            )
            session.add(person)
            session.flush()
            people[person.id] = (team.id, team.agency, t, role)
    return team_ids, people


def _reply(
    rng: random.Random, lesson: Lesson, week_index: int, team_index: int, delivery_id: int, person_id: int, at: datetime
) -> dict | None:
    if rng.random() > 0.85 - 0.03 * week_index - 0.05 * (team_index % 3):
        return None
    hard = lesson.primary_theme in HARD_THEMES
    practice = rng.choices(("changed", "already", "not_yet", "not_relevant"), (2, 3, 6 if hard else 1, 1))[0]
    correct = rng.random() < (0.4 if hard else 0.8)
    reflection = rng.choice(BARRIER_TEXT) if rng.random() < 0.15 else None
    return {
        "delivery_id": delivery_id,
        "person_id": person_id,
        "lesson_id": lesson.id,
        "lesson_version": lesson.version,
        "check_answer": lesson.check.answer if correct else (lesson.check.answer % len(lesson.check.options)) + 1,
        "check_correct": correct,
        "practice": practice,
        "reflection": reflection,
        "created_at": at,
        "updated_at": at,
    }


def seed_history(
    engine,
    lessons: list[Lesson],
    *,
    teams: int = 4,
    per_team: int = 12,
    agencies: int = 2,
    weeks: int = 12,
    last_day: date = date(2026, 11, 20),
    seed: int = 7,
    batch: int = 20000,
) -> Seeded:
    rng = random.Random(seed)
    now = datetime.combine(last_day, time(12), tzinfo=timezone.utc)
    first = last_day - timedelta(weeks=weeks - 1)
    with Session(engine) as session:
        team_ids, people = _people(session, teams, per_team, agencies, now)
        next_id = (session.exec(select(func.max(Delivery.id))).one() or 0) + 1
        deliveries, replies = [], []
        for w in range(weeks):
            day = first + timedelta(weeks=w)
            at = datetime.combine(day, time(10), tzinfo=timezone.utc)
            for person_id, (team_id, agency, t, role) in people.items():
                options = [l for l in lessons if role in l.roles] or lessons
                lesson = options[rng.randrange(len(options))]
                deliveries.append(
                    {
                        "id": next_id,
                        "person_id": person_id,
                        "kind": "nudge",
                        "period": week_key(day),
                        "lesson_id": lesson.id,
                        "lesson_version": lesson.version,
                        "role": role,
                        "team_id": team_id,
                        "agency": agency,
                        "channel": "email",
                        "status": "sent",
                        "due_at": at,
                        "sent_at": at,
                        "attempts": 1,
                        "created_at": at,
                    }
                )
                reply = _reply(rng, lesson, w, t, next_id, person_id, at + timedelta(hours=2))
                if reply:
                    replies.append(reply)
                next_id += 1
        for start in range(0, len(deliveries), batch):
            session.execute(insert(Delivery), deliveries[start : start + batch])
        for start in range(0, len(replies), batch):
            session.execute(insert(Reply), replies[start : start + batch])
        if engine.dialect.name == "postgresql":  # ids were given explicitly: move the sequence past them
            session.execute(text("SELECT setval(pg_get_serial_sequence('delivery', 'id'), (SELECT max(id) FROM delivery))"))
        session.commit()
        mark_stale(session)  # rows were written with past times: the rollup must recompute everything
    return Seeded(team_ids, [week_key(first + timedelta(weeks=w)) for w in range(weeks)], first)
