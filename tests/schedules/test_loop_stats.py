"""Reminder and follow-up figures: counted once per nudge, suppressed like every other figure."""

import json
from datetime import timedelta

from sqlmodel import Session
from typer.testing import CliRunner

from bot.cli.main import app
from bot.core.loop_figures import loop_table
from digests.loop_tables import loop_dict
from schedules.models import Delivery, FollowUpAnswer, Person, Reply, Team
from digests.disclosure import total_of
from schedules.loop_stats import loop_pieces
from schedules.statistics import Filter
from tests.conftest import utc

SENT = utc(2026, 11, 24, 10)
REMINDED = SENT + timedelta(days=3)


def seed(engine, teams: dict[str, int], lesson_id: str = "seen-child") -> None:
    """Per team of n people, person i: a nudge; even i answer before any reminder ("changed" if i % 4 == 0, so a
    commitment, followed up and answered "helped" with a barrier); odd i get a reminder, and those with i % 3 != 0
    answer after it."""
    with Session(engine) as session:
        for name, size in teams.items():
            team = Team(name=name, agency="Council")
            session.add(team)
            session.flush()
            for i in range(size):
                person = Person(
                    email=f"{name}-{i}@example.org",
                    name=f"P {i}",
                    role="social-worker",
                    team_id=team.id,
                    agency="Council",
                    created_at=SENT,
                )
                session.add(person)
                session.flush()
                nudge = Delivery(
                    person_id=person.id,
                    period="2026-W48",
                    lesson_id=lesson_id,
                    lesson_version="v1",
                    role="social-worker",
                    team_id=team.id,
                    agency="Council",
                    status="sent",
                    due_at=SENT,
                    sent_at=SENT,
                    created_at=SENT,
                )
                session.add(nudge)
                session.flush()
                if i % 2 == 0:
                    practice = "changed" if i % 4 == 0 else "already"
                    session.add(
                        Reply(
                            delivery_id=nudge.id,
                            person_id=person.id,
                            lesson_id=lesson_id,
                            lesson_version="v1",
                            practice=practice,
                            created_at=SENT + timedelta(hours=1),
                            updated_at=SENT,
                        )
                    )
                    if practice == "changed":
                        follow = Delivery(
                            person_id=person.id,
                            kind="followup",
                            period=f"f{nudge.id}",
                            parent_id=nudge.id,
                            lesson_id=lesson_id,
                            lesson_version="v1",
                            status="sent",
                            due_at=SENT + timedelta(weeks=5),
                            sent_at=SENT + timedelta(weeks=5),
                            created_at=SENT,
                        )
                        session.add(follow)
                        session.flush()
                        session.add(
                            FollowUpAnswer(
                                delivery_id=follow.id,
                                person_id=person.id,
                                lesson_id=lesson_id,
                                outcome="helped",
                                barrier="No time.",
                                created_at=SENT + timedelta(weeks=5),
                                updated_at=SENT + timedelta(weeks=5),
                            )
                        )
                else:
                    session.add(
                        Delivery(
                            person_id=person.id,
                            kind="reminder",
                            period=f"r{nudge.id}",
                            parent_id=nudge.id,
                            lesson_id=lesson_id,
                            lesson_version="v1",
                            status="sent",
                            due_at=REMINDED,
                            sent_at=REMINDED,
                            created_at=SENT,
                        )
                    )
                    if i % 3 != 0:
                        session.add(
                            Reply(
                                delivery_id=nudge.id,
                                person_id=person.id,
                                lesson_id=lesson_id,
                                lesson_version="v1",
                                practice="not_yet",
                                created_at=REMINDED + timedelta(hours=2),
                                updated_at=REMINDED,
                            )
                        )
        session.commit()


def test_reply_rate_with_and_without_the_reminder_and_what_follow_ups_found(service):
    seed(service.engine, {"North": 12, "South": 10})
    with Session(service.engine) as session:
        raw = total_of(loop_pieces(session, dim="base", where=Filter(), theme_of={}))  # the exact counts, before publishing
        published = loop_dict(loop_table(service, session, by="agency", where=Filter()))["total"]
    total = dict(raw.counts)
    total |= {
        "reply_rate_without_reminder": round(total["replied_unprompted"] / total["delivered"], 4),
        "reply_rate_with_reminder": round(
            (total["replied_unprompted"] + total["replied_after_reminder"]) / total["delivered"], 4
        ),
        "reminder_reply_rate": round(total["replied_after_reminder"] / total["reminded"], 4),
        "tried_and_helped_rate": round(total["helped"] / total["followups_answered"], 4),
    }
    # what leads see: every count a multiple of 5 within 4 of the truth (digests/disclosure.py)
    for measure, value in raw.counts.items():
        assert published[measure] % 5 == 0 and abs(published[measure] - value) <= 4, measure
    # North: even 0..10 -> 6 unprompted; odd 1..11 reminded, of which 1, 5, 7, 11 answer after. South: 5, and 1, 5, 7.
    assert (total["delivered"], total["reminded"], total["replied_unprompted"], total["replied_after_reminder"]) == (
        22,
        11,
        11,
        7,
    )
    assert total["reply_rate_without_reminder"] == 0.5 and total["reply_rate_with_reminder"] == round(18 / 22, 4)
    assert total["reminder_reply_rate"] == round(7 / 11, 4)
    # commitments: "changed" (i % 4 == 0: North 0,4,8; South 0,4,8) and "not_yet" after the reminder (7)
    assert (total["commitments"], total["followups_sent"], total["followups_answered"], total["helped"]) == (13, 6, 6, 6)
    assert total["tried_and_helped_rate"] == 1.0 and total["barriers"] == 6


def test_a_small_team_is_left_out_of_every_figure_so_the_total_gives_nothing_away(service):
    seed(service.engine, {"North": 12, "South": 10, "Tiny": 3})
    with Session(service.engine) as session:
        table = loop_dict(loop_table(service, session, by="team", where=Filter()))
        without_tiny = loop_dict(loop_table(service, session, by="agency", where=Filter()))
    rows = {r["key"]: r for r in table["rows"]}
    # A team's week of fewer than 5 people is left out of every figure, at every scope (digests/disclosure.py):
    # no row, and the totals are North's and South's alone, so total minus the teams shown is nothing.
    assert set(rows) == {"North", "South"}
    assert table["total"] == without_tiny["total"]
    for measure in ("delivered", "reminded", "replied_unprompted"):
        shown = [rows[t][measure] for t in ("North", "South")] + [table["total"][measure]]
        assert all(value % 5 == 0 for value in shown), measure
    assert table["total"]["delivered"] in (20, 25)  # 22 nudges, Tiny's 3 not among them


def test_lessonloop_loop_stats_json_and_a_bad_dimension(settings, monkeypatch):
    monkeypatch.setenv("LESSONLOOP_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("LESSONLOOP_ENV", "test")
    from bot.compose import build_service

    service = build_service(settings)
    seed(service.engine, {"North": 12})
    result = CliRunner().invoke(app, ["loop", "stats", "--by", "week", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["rows"][0]["key"] == "2026-W48" and data["total"]["reminded"] in (5, 10)  # 6, published rounded
    result = CliRunner().invoke(app, ["loop", "stats", "--by", "person"])
    assert result.exit_code == 2 and "--by must be one of" in result.output
    text = CliRunner().invoke(app, ["loop", "stats"]).output
    assert "reply%" in text and "+remind%" in text
    service.engine.dispose()
