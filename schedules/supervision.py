"""Shares of a person's own learning record with their supervisor (issue 17 part 5), made by the person and
revocable by them. A share names one person and one stretch of their record; the link that opens it is
signed for the share (bot.core.supervision), so revoking, expiry or forgetting the person closes it."""

from datetime import date, datetime, timedelta

from sqlalchemy import delete, func
from sqlmodel import Field, Session, SQLModel, col, select

import schedules.models  # noqa: F401  (the naming convention is set there, before this table is declared)
from schedules.timeutil import UTCDateTime

LINK, EMAIL = "link", "email"  # the person copies the link themselves | one email to their roster supervisor
EMAILS_PER_DAY = 3  # one-click emails a person can send in 24 hours: a slip, not a mail cannon


class SupervisionShare(SQLModel, table=True):
    # Ids are never reused: a link signed for a share must never open a later one.
    __table_args__ = {"sqlite_autoincrement": True}
    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    period_start: date
    period_end: date
    delivered: str = Field(max_length=8)  # LINK | EMAIL
    sent_to: str | None = Field(default=None, max_length=254)  # the supervisor's address, for EMAIL
    created_at: datetime = Field(sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)

    def open_at(self, now: datetime) -> bool:
        return self.revoked_at is None and now < self.expires_at


def add_share(
    session: Session,
    *,
    person_id: int,
    start: date,
    end: date,
    delivered: str,
    expires_at: datetime,
    now: datetime,
    sent_to: str | None = None,
) -> SupervisionShare:
    """The caller commits, with the audit event that records it."""
    share = SupervisionShare(
        person_id=person_id,
        period_start=start,
        period_end=end,
        delivered=delivered,
        sent_to=sent_to,
        created_at=now,
        expires_at=expires_at,
    )
    session.add(share)
    session.flush()
    return share


def active_shares(session: Session, *, person_id: int, now: datetime) -> list[SupervisionShare]:
    query = select(SupervisionShare).where(
        SupervisionShare.person_id == person_id,
        col(SupervisionShare.revoked_at).is_(None),
        SupervisionShare.expires_at > now,
    )
    return list(session.exec(query.order_by(col(SupervisionShare.id).desc())))


def emails_sent_since(session: Session, *, person_id: int, since: datetime) -> int:
    query = select(func.count()).where(
        SupervisionShare.person_id == person_id,
        SupervisionShare.delivered == EMAIL,
        SupervisionShare.created_at >= since,
    )
    return session.exec(query).one()


def may_email(session: Session, *, person_id: int, now: datetime) -> bool:
    return emails_sent_since(session, person_id=person_id, since=now - timedelta(days=1)) < EMAILS_PER_DAY


def own_share(session: Session, *, person_id: int, share_id: int) -> SupervisionShare | None:
    """Only a share the person made: a share id in a form is never trusted on its own."""
    share = session.get(SupervisionShare, share_id)
    return share if share is not None and share.person_id == person_id else None


def export_shares(session: Session, *, person_id: int) -> dict:
    shares = session.exec(select(SupervisionShare).where(SupervisionShare.person_id == person_id))
    return {"supervision_shares": [s.model_dump(mode="json") for s in shares]}


def forget_shares(session: Session, *, person_id: int) -> None:
    """Forgetting a person closes every link they shared. The caller commits, with the rest of forgetting."""
    session.execute(delete(SupervisionShare).where(col(SupervisionShare.person_id) == person_id))
