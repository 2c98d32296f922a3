"""Counts for closing the loop (issue 13), grouped by one dimension like every other statistic: reply rate
with and without a reminder; commitments, follow-ups sent and answered, what came of them, barriers.

Each sent nudge is one row, joined to its reply, its one reminder and its one follow-up (each unique per
nudge), so nothing is counted twice. Only group snapshots on the delivery are read, never a name."""

from typing import Any

from sqlalchemy import ColumnElement, and_, case, distinct, func
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from schedules.loop_planner import COMMITMENTS
from schedules.models import Delivery, DeliveryStatus, FollowUpAnswer, Reply, Team
from schedules.statistics import Filter, GroupCounts, dimension, sent_nudges_in

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


def loop_groups(session: Session, *, by: str, where: Filter, theme_of: dict[str, str]) -> tuple[list[GroupCounts], GroupCounts]:
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
    key = dimension(by, theme_of).label("key")

    def query(*keys):
        q = select(*keys, func.count(distinct(Delivery.person_id)), *measures).select_from(Delivery)
        q = q.outerjoin(Reply, Reply.delivery_id == Delivery.id)
        q = q.outerjoin(
            reminder, and_(reminder.parent_id == Delivery.id, reminder.kind == "reminder", reminder.status == DeliveryStatus.SENT)
        )
        q = q.outerjoin(
            followup, and_(followup.parent_id == Delivery.id, followup.kind == "followup", followup.status == DeliveryStatus.SENT)
        )
        q = q.outerjoin(FollowUpAnswer, FollowUpAnswer.delivery_id == followup.id)
        if by == "team":
            q = q.outerjoin(Team, Team.id == Delivery.team_id)
        return _scoped(q, where)

    def counts(row) -> dict[str, int]:
        return {name: int(value or 0) for name, value in zip(LOOP_MEASURES, row)}

    def group(key_value: str, people, row) -> GroupCounts:
        n = len(LOOP_MEASURES)
        return GroupCounts(key_value, int(people), counts(row[:n]), counts(row[n:]))

    groups = [group(str(row[0]), row[1], row[2:]) for row in session.exec(query(key).group_by(key).order_by(key)).all()]
    total_row = session.exec(query()).one()
    return groups, group("total", total_row[0], total_row[1:])


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
