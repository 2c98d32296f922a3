"""Feedback for lesson authors: per lesson, how often it was marked not relevant (and by which roles) and
how often its knowledge check was answered wrongly. The counts are the statistics' own lesson pieces
(bot.core.stats.published_pieces, dim "lesson"); this module only says which role a piece went to."""

from sqlalchemy import distinct, func
from typing import Any

from sqlmodel import Session, col
from sqlmodel.sql.expression import Select

from schedules.models import Delivery, DeliveryStatus

PieceKey = tuple[int, str, str, str]  # (team id, agency, ISO week, lesson)


def single_role_pieces(session: Session) -> dict[PieceKey, str]:
    """The team-week lesson cells whose nudges all went to one role, and that role. A lesson piece is
    shown by role only when it is one of these: a tag on a whole piece, never a split of one."""
    cols: tuple[Any, ...] = (
        func.coalesce(Delivery.team_id, 0),
        col(Delivery.agency),
        col(Delivery.period),
        col(Delivery.lesson_id),
    )
    query: Select[*tuple[Any, ...]] = (
        Select(*cols, func.min(Delivery.role))
        .where(Delivery.kind == "nudge", Delivery.status == DeliveryStatus.SENT)
        .group_by(*cols)
        .having(func.count(distinct(func.coalesce(Delivery.role, ""))) == 1)
    )
    return {
        (int(t or 0), str(a or ""), str(w), str(lesson)): str(role or "unknown") for t, a, w, lesson, role in session.exec(query)
    }
