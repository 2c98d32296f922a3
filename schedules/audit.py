"""The audit log: append-only records of admin actions and dashboard sign-ins."""

from datetime import datetime

from sqlmodel import Session, col, select

from schedules.models import AuditEvent


def record(session: Session, *, actor: str, action: str, detail: str = "", now: datetime) -> None:
    """Add an audit event; the caller commits with the action it describes, so both or neither land."""
    session.add(AuditEvent(at=now, actor=actor, action=action, detail=detail))


def recent(session: Session, *, limit: int = 200) -> list[AuditEvent]:
    return list(session.exec(select(AuditEvent).order_by(col(AuditEvent.at).desc(), col(AuditEvent.id).desc()).limit(limit)))
