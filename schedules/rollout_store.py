"""The staged roll-out in the database (issue 13, part 5): the wave plan, the check-ins written, and the
answers the report reads."""

from datetime import date, datetime

from sqlalchemy import delete
from sqlmodel import Session, col, select

from schedules.evaluation import WaveAssignment
from schedules.id_sets import by_index, in_ids
from schedules.models import Delivery, DeliveryStatus, Reply, RolloutWave, Team
from schedules.rollout import CHECKIN, Answered, Rollout


class PlanExists(Exception):
    """A roll-out is already recorded; re-planning would move teams between waves mid-evaluation."""


def rollout(session: Session) -> Rollout | None:
    rows = list(session.exec(select(RolloutWave)))
    if not rows:
        return None
    themes = tuple(t for t in rows[0].themes.split(",") if t)
    return Rollout({r.team_id: r.starts_on for r in rows}, rows[0].every_weeks, themes)


def wave_starts(session: Session) -> dict[int, date]:
    """Each team in the roll-out and the day its wave starts (the planner holds it until then)."""
    return {team_id: day for team_id, day in session.exec(select(col(RolloutWave.team_id), col(RolloutWave.starts_on)))}


def teams_by_agency(session: Session) -> list[tuple[int, str]]:
    return [(team_id, agency) for team_id, agency in session.exec(select(Team.id, Team.agency)) if team_id is not None]


def save_plan(
    session: Session,
    plan: list[WaveAssignment],
    *,
    seed: int,
    every_weeks: int,
    themes: tuple[str, ...],
    now: datetime,
    replace: bool = False,
) -> None:
    """Record the assignment. The caller commits."""
    if session.exec(select(RolloutWave.id).limit(1)).first() is not None:
        if not replace:
            raise PlanExists("a roll-out is already planned")
        session.execute(delete(RolloutWave))
    for a in plan:
        session.add(
            RolloutWave(
                team_id=a.team_id,
                agency=a.agency,
                wave=a.wave,
                starts_on=a.starts_on,
                every_weeks=every_weeks,
                seed=seed,
                themes=",".join(themes),
                assigned_at=now,
            )
        )


def checkin_periods(session: Session, *, person_ids: list[int]) -> dict[int, frozenset[str]]:
    """These people's check-ins already written. Selected by person alone and told apart here, as
    outbox.histories does (a kind in the query can lead a planner with stale statistics to read them all)."""
    found: dict[int, set[str]] = {}
    with by_index(session):
        rows = session.exec(
            select(Delivery.person_id, Delivery.kind, Delivery.period).where(in_ids(session, col(Delivery.person_id), person_ids))
        ).all()
    for person_id, kind, period in rows:
        assert person_id is not None  # selected by person id
        if kind == CHECKIN:
            found.setdefault(person_id, set()).add(period)
    return {person_id: frozenset(periods) for person_id, periods in found.items()}


def checkin_answers(session: Session) -> list[Answered]:
    """Answered check-ins that went out. A forgotten person's deliveries keep their team but lose the person:
    the delivery id then stands in for them (one person per check-in)."""
    rows = session.exec(
        select(Delivery, Reply)
        .join(Reply, col(Reply.delivery_id) == Delivery.id)
        .where(Delivery.kind == CHECKIN, Delivery.status == DeliveryStatus.SENT, col(Delivery.team_id).is_not(None))
        .order_by(col(Delivery.id))
    )
    answers = []
    for d, r in rows:
        assert d.team_id is not None  # selected with a team
        who = f"p{d.person_id}" if d.person_id is not None else f"d{d.id}"
        answers.append(Answered(d.team_id, d.period, who, r.check_correct, r.practice))
    return answers
