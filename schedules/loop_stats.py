"""Counts for closing the loop (issue 13), grouped by one dimension like every other statistic: reply rate
with and without a reminder; commitments, follow-ups sent and answered, what came of them, barriers.

Each sent nudge is one row, joined to its reply, its one reminder and its one follow-up (each unique per
nudge), so nothing is counted twice. Only group snapshots on the delivery are read, never a name."""

from typing import Any

from sqlalchemy import ColumnElement, and_, case, distinct, func, literal
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import Select

from schedules.loop_planner import COMMITMENTS
from schedules.models import Delivery, DeliveryStatus, FollowUpAnswer, Reply, Team
from schedules.statistics import Filter, Piece, dimension, sent_nudges_in

# What practitioners committed to change and what came of it: the part of the loop the evidence export reports.
COMMITMENT_MEASURES = (
    "commitments",
    "followups_sent",
    "followups_answered",
    "helped",
    "not_fit",
    "not_yet_tried",
    "no_longer_relevant",
)
LOOP_MEASURES = ("delivered", "reminded", "replied_unprompted", "replied_after_reminder", *COMMITMENT_MEASURES, "barriers")
OUTCOME_MEASURES = {"helped": "helped", "not_fit": "not_fit", "not_yet": "not_yet_tried", "not_relevant": "no_longer_relevant"}


def _sum(condition: ColumnElement[bool]) -> ColumnElement[Any]:
    return func.sum(case((condition, 1), else_=0))


def _key_sum(condition: ColumnElement[bool]) -> ColumnElement[Any]:
    """The cell key of a measure: the sum of the record keys of the nudges it counts (digests/disclosure.py)."""
    return func.sum(case((condition, Delivery.record_key), else_=0))


def loop_pieces(session: Session, *, dim: str, where: Filter, theme_of: dict[str, str]) -> list[Piece]:
    """Every team-week cell of `dim` ("base", "role", "theme" or "lesson") in the window and scope, with the
    loop measures and their cell keys: the raw pieces digests.disclosure pools, as for every statistic.
    `people` is exact: distinct people sent a nudge in that team, agency, week and value, the same
    people as the statistics' pieces (the same sent nudges), so both surfaces pool alike."""
    reminder, followup = aliased(Delivery), aliased(Delivery)
    reminded = col(reminder.sent_at).is_not(None)
    conditions = (
        col(Delivery.id).is_not(None),
        reminded,
        and_(col(Reply.id).is_not(None), case((reminded, col(Reply.created_at) < reminder.sent_at), else_=True)),
        and_(col(Reply.id).is_not(None), reminded, col(Reply.created_at) >= reminder.sent_at),
        col(Reply.practice).in_(COMMITMENTS),
        col(followup.sent_at).is_not(None),
        col(FollowUpAnswer.outcome).is_not(None),
        *(col(FollowUpAnswer.outcome) == value for value in OUTCOME_MEASURES),
        and_(col(FollowUpAnswer.barrier).is_not(None), col(FollowUpAnswer.barrier) != ""),
    )
    measures = (*(_sum(c) for c in conditions), *(_key_sum(c) for c in conditions))
    value = {"base": literal(""), "lesson": col(Delivery.lesson_id)}.get(dim)
    cols: tuple[Any, ...] = (
        func.coalesce(Delivery.team_id, 0),
        func.coalesce(Team.name, "(no team)"),
        col(Delivery.agency),
        col(Delivery.period),
        (dimension(dim, theme_of) if value is None else value).label("key"),
    )
    q: Select[*tuple[Any, ...]] = Select(*cols, func.count(distinct(col(Delivery.person_id))), *measures).select_from(Delivery)
    sent = DeliveryStatus.SENT
    q = q.outerjoin(Reply, col(Reply.delivery_id) == Delivery.id)
    q = q.outerjoin(
        reminder, and_(col(reminder.parent_id) == Delivery.id, col(reminder.kind) == "reminder", col(reminder.status) == sent)
    )
    q = q.outerjoin(
        followup, and_(col(followup.parent_id) == Delivery.id, col(followup.kind) == "followup", col(followup.status) == sent)
    )
    q = q.outerjoin(FollowUpAnswer, col(FollowUpAnswer.delivery_id) == followup.id)
    q = q.outerjoin(Team, col(Team.id) == Delivery.team_id)
    n = len(LOOP_MEASURES)
    out = []
    for row in session.exec(_scoped(q, where).group_by(*cols)).all():
        counts = {m: int(v or 0) for m, v in zip(LOOP_MEASURES, row[6 : 6 + n])}
        keys = {m: int(v or 0) for m, v in zip(LOOP_MEASURES, row[6 + n :])}
        out.append(
            Piece(int(row[0] or 0), str(row[1]), str(row[2] or ""), str(row[3]), str(row[4]), int(row[5] or 0), counts, keys)
        )
    return out


def _scoped(query: Any, where: Filter) -> Any:
    """Sent nudges in the window and scope, matched by ISO week as every other statistic (schedules.statistics)."""
    return sent_nudges_in(query, where)


def followup_barrier_samples(
    session: Session, *, where: Filter, theme_of: dict[str, str], limit: int = 200
) -> list[tuple[str, int, str]]:
    """(theme, writer, what got in the way) for up to `limit` of the newest follow-up answers in scope, the
    shape digests.barriers takes. The writer is an opaque number, used only to count distinct writers."""
    followup = aliased(Delivery)
    key = dimension("theme", theme_of)
    writer = func.coalesce(Delivery.person_id, 0)  # forgotten people count as one writer between them, as in statistics
    query = (
        select(key, writer, col(FollowUpAnswer.barrier))
        .select_from(Delivery)
        .join(followup, and_(col(followup.parent_id) == Delivery.id, col(followup.kind) == "followup"))
        .join(FollowUpAnswer, col(FollowUpAnswer.delivery_id) == followup.id)
        .where(col(FollowUpAnswer.barrier).is_not(None), FollowUpAnswer.barrier != "")
    )
    query = _scoped(query, where).order_by(col(FollowUpAnswer.id).desc()).limit(limit)
    return [(str(theme), int(w), text) for theme, w, text in session.exec(query) if text is not None]
