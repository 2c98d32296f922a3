"""The retention job: replies and reflections past the retention period go; anonymous counts stay."""
from datetime import timedelta

from sqlmodel import Session

from bot.core.service import Service

from bot.core.clock import utcnow
from schedules import audit
from schedules.privacy import purge_old_replies


def run_retention(service: Service, days: int | None = None, *, actor: str = "system") -> int:
    cutoff = utcnow() - timedelta(days=days or service.settings.retention_days)
    with Session(service.engine) as session:
        deleted = purge_old_replies(session, before=cutoff)
        audit.record(session, actor=actor, action="retention", detail=f"{deleted} replies before {cutoff.date()}", now=utcnow())
        session.commit()
    return deleted
