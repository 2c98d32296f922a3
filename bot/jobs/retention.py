"""The retention job: replies and reflections past the retention period go, and so does the written line of
follow-up and impact answers; anonymous counts stay."""

from datetime import timedelta

from sqlmodel import Session, func, select

from bot.core.service import Service

from bot.core.clock import utcnow
from schedules import audit
from schedules.models import Reply
from schedules.privacy import purge_old_answer_lines, purge_old_replies


def retention_cutoff(service: Service, days: int | None = None):
    if days is not None and days < 1:
        raise ValueError(f"retention days must be at least 1, not {days}")
    return utcnow() - timedelta(days=days if days is not None else service.settings.retention_days)


def replies_before(service: Service, cutoff) -> int:
    """How many replies a retention run with this cutoff would delete (said before asking to confirm)."""
    with Session(service.engine) as session:
        return session.exec(select(func.count()).select_from(Reply).where(Reply.created_at < cutoff)).one()


def run_retention(service: Service, days: int | None = None, *, actor: str = "system") -> int:
    cutoff = retention_cutoff(service, days)
    with Session(service.engine) as session:
        deleted = purge_old_replies(session, before=cutoff)
        cleared = purge_old_answer_lines(session, before=cutoff)
        detail = f"{deleted} replies and {cleared} follow-up lines before {cutoff.date()}"
        audit.record(session, actor=actor, action="retention", detail=detail, now=utcnow())
        session.commit()
    return deleted
