"""Team channel posts (the weekly agenda item and the optional theme post): when each falls due, and
the small outbox that makes each one go out once per team and week, whichever replica ticks.

A post is due from 08:00 in the team's time zone: the theme on the Monday, the agenda item the day
before the meeting (or the Monday, for a Monday meeting), so people can read it first."""

from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from schedules import leases
from schedules.leases import Claimant
from schedules.models import ChannelPost, Team
from schedules.slots import local_moment, week_key

POST_TIME = time(8, 0)
# One post is one webhook call (with its own short retries), so no renewal: the lease outlives the
# slowest call, and a replica that died frees its post after it.
CLAIMANT = Claimant(lease=timedelta(minutes=5))


@dataclass(frozen=True)
class DuePost:
    team_id: int
    kind: str  # agenda | theme
    period: str
    due_at: datetime


def due_posts(team: Team, now: datetime) -> list[DuePost]:
    """The posts of the team's current local week that are due at `now` (pure)."""
    assert team.id is not None  # a stored team
    zone = ZoneInfo(team.timezone)
    local_now = now.astimezone(zone)
    monday = local_now.date() - timedelta(days=local_now.weekday())
    agenda_day = monday + timedelta(days=max(team.meeting_day - 1, 0))
    wanted = [("agenda", agenda_day)] + ([("theme", monday)] if team.theme_posts else [])
    posts = [
        DuePost(team.id, kind, week_key(monday), local_moment(day, POST_TIME, zone).astimezone(timezone.utc))
        for kind, day in wanted
    ]
    return [post for post in posts if post.due_at <= now]


def _slot(post: DuePost) -> ColumnElement[bool]:
    return and_(
        col(ChannelPost.team_id) == post.team_id, col(ChannelPost.kind) == post.kind, col(ChannelPost.period) == post.period
    )


def claim(session: Session, post: DuePost, now: datetime, claimant: Claimant = CLAIMANT) -> int | None:
    """Write the post's row if it is new, then claim it. None: sent already, or another worker has it."""
    if session.exec(select(ChannelPost.id).where(_slot(post))).first() is None:
        session.add(ChannelPost(team_id=post.team_id, kind=post.kind, period=post.period, next_attempt_at=now))
        try:
            session.commit()
        except IntegrityError:
            session.rollback()  # another replica wrote it first; the claim below decides who sends
    ready = and_(col(ChannelPost.status).in_(("pending", "retry")), col(ChannelPost.next_attempt_at) <= now)
    claimed = leases.claim(session, ChannelPost, ready=ready, among=_slot(post), claimant=claimant, now=now, limit=1)
    return claimed[0] if claimed else None


def finish(
    session: Session,
    post_id: int,
    *,
    now: datetime,
    error: str | None = None,
    retry_at: datetime | None = None,
    claimant: Claimant = CLAIMANT,
) -> None:
    """Sent (no error), to be retried (error and retry_at), or failed for good (error only)."""
    status = "sent" if error is None else ("retry" if retry_at else "failed")
    values: dict = {"status": status, "last_error": error, "sent_at": now if error is None else None}
    if retry_at:
        values["next_attempt_at"] = retry_at
    leases.finish(session, ChannelPost, [(post_id, values)], claimant=claimant, held_only=status != "sent")
    session.commit()


def teams_with_webhooks(session: Session) -> list[Team]:
    return list(
        session.exec(select(Team).where(col(Team.webhook_url).is_not(None), col(Team.webhook_url) != "").order_by(col(Team.id)))
    )
