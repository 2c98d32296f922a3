"""Sharing one's own learning record with a supervisor (issue 17 part 5): make a share, revoke it, open it.

Only the person can share, from their own record page (its signed link names them). The supervisor's link
is signed for the share and its expiry, so it opens that share and nothing else; revoking it, its expiry or
forgetting the person closes it. Each share, revoke and view is a row in the audit log, written in the
same transaction as what it records."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session

from bot.core.learning_records import learning_record
from bot.core.service import Service
from bot.core.signing import BadToken
from digests.supervision import SharedRecord, shared_record
from schedules import audit
from schedules.models import Person
from schedules.share_period import ShareChoice, describe
from schedules.supervision import EMAIL, EMAILS_PER_DAY, LINK, SupervisionShare, add_share, may_email, own_share

PURPOSE = "supervision"
SUPERVISOR = "supervisor link"  # the audit actor for a view: whoever holds the link, never identified further


class ShareRefused(ValueError):
    """A share that cannot be made as asked; the message says why, to the person."""


def share_url(service: Service, share: SupervisionShare) -> str:
    assert share.id is not None  # a stored share
    token = service.signer.sign(PURPOSE, share.id, share.expires_at)
    return f"{service.settings.base_url.rstrip('/')}/shared/{token}"


def _detail(share: SupervisionShare, person: Person) -> str:
    how = "by email to their supervisor" if share.delivered == EMAIL else "as a link they send"
    return (
        f"share {share.id} of {person.email}: {describe(share.period_start, share.period_end)}, {how}, "
        f"until {share.expires_at:%Y-%m-%d %H:%M} UTC"
    )


def make_share(
    service: Service, session: Session, *, person: Person, choice: ShareChoice, how: str, now: datetime
) -> SupervisionShare:
    """Store the share and its audit row, and commit. Emailing the supervisor is the caller's (after the answer)."""
    assert person.id is not None  # a stored person
    if how not in (LINK, EMAIL):
        raise ShareRefused("Choose whether to make a link or to email your supervisor.")
    if how == EMAIL and not person.supervisor_email:
        raise ShareRefused("No supervisor is named for you in the roster, so there is nobody to email: make a link instead.")
    if how == EMAIL and not may_email(session, person_id=person.id, now=now):
        raise ShareRefused(
            f"You have emailed your supervisor {EMAILS_PER_DAY} times today: make a link instead, or try tomorrow."
        )
    share = add_share(
        session,
        person_id=person.id,
        start=choice.start,
        end=choice.end,
        delivered=how,
        expires_at=now + timedelta(days=choice.expiry_days),
        now=now,
        sent_to=person.supervisor_email if how == EMAIL else None,
    )
    audit.record(session, actor=person.email, action="supervision.shared", detail=_detail(share, person), now=now)
    session.commit()
    session.refresh(share)
    return share


def revoke_share(session: Session, *, person: Person, share_id: int, now: datetime) -> bool:
    """True when the share was open and is now closed; a share of someone else's is left alone (False)."""
    assert person.id is not None  # a stored person
    share = own_share(session, person_id=person.id, share_id=share_id)
    if share is None or share.revoked_at is not None:
        return False
    share.revoked_at = now
    session.add(share)
    audit.record(session, actor=person.email, action="supervision.revoked", detail=_detail(share, person), now=now)
    session.commit()
    return True


@dataclass(frozen=True)
class OpenedShare:
    record: SharedRecord
    expires_at: datetime


def open_share(service: Service, session: Session, token: str, now: datetime) -> OpenedShare:
    """What the supervisor may read, with the view in the audit log. BadToken for a link that is altered, of
    another purpose, expired, revoked, or whose person was forgotten."""
    data = service.signer.verify(PURPOSE, token, now)
    share = session.get(SupervisionShare, data.subject_id)
    if share is None:
        raise BadToken("this shared record no longer exists")
    if int(share.expires_at.timestamp()) != data.expires:  # signed for this share's own expiry, nothing else
        raise BadToken("this link is not valid")
    if share.revoked_at is not None:
        raise BadToken("the person who shared this record has stopped sharing it")
    if not share.open_at(now):
        raise BadToken("this link has expired")
    person = session.get(Person, share.person_id)
    if person is None:
        raise BadToken("this shared record no longer exists")
    record = shared_record(learning_record(service, session, person, now.date()), share.period_start, share.period_end)
    audit.record(session, actor=SUPERVISOR, action="supervision.viewed", detail=f"share {share.id} of {person.email}", now=now)
    session.commit()
    return OpenedShare(record, share.expires_at)
