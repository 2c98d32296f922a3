"""The tables. The database is the single source of truth: due times, the outbox, replies."""
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from schedules.timeutil import UTCDateTime

# Named constraints, so later migrations can alter them on SQLite (batch mode) and PostgreSQL alike.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class PersonStatus(StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"
    UNSUBSCRIBED = "unsubscribed"
    LEFT = "left"


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    CANCELLED = "cancelled"


class Practice(StrEnum):
    CHANGED = "changed"
    ALREADY = "already"
    NOT_YET = "not_yet"
    NOT_RELEVANT = "not_relevant"


class Team(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True, max_length=120)
    agency: str = Field(default="", max_length=120)
    meeting_day: int = 2  # Wednesday (Monday = 0)
    meeting_time: str = Field(default="10:00", max_length=5)
    timezone: str = Field(default="Europe/London", max_length=64)
    webhook_url: str | None = None  # Teams Workflows webhook for channel posts
    lead_person_id: int | None = None  # a person id; no foreign key, which would make person <-> team a cycle


class Person(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(unique=True, max_length=254)
    name: str = Field(max_length=200)
    role: str = Field(max_length=60)
    team_id: int | None = Field(default=None, foreign_key="team.id", index=True)
    agency: str = Field(default="", max_length=120)
    timezone: str = Field(default="Europe/London", max_length=64)
    nudge_day: int = 1  # Monday = 0
    nudge_time: str = Field(default="10:00", max_length=5)
    channel: str = Field(default="email", max_length=10)
    access: str = Field(default="member", max_length=20)
    status: str = Field(default=PersonStatus.ACTIVE, max_length=16, index=True)
    paused_until: date | None = None
    slack_user_id: str | None = Field(default=None, max_length=32)
    slack_channel_id: str | None = Field(default=None, max_length=32)  # their DM channel with the bot
    teams_user_id: str | None = Field(default=None, max_length=64)  # AAD object id
    teams_conversation_json: str | None = None  # Bot Framework conversation reference
    created_at: datetime = Field(sa_type=UTCDateTime)


class SpacingCard(SQLModel, table=True):
    """One fsrs card per person and lesson, created by their first reply to it."""

    __table_args__ = (UniqueConstraint("person_id", "lesson_id"),)
    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    lesson_id: str = Field(max_length=80)
    card_json: str
    due_at: datetime = Field(sa_type=UTCDateTime)
    last_review_at: datetime = Field(sa_type=UTCDateTime)
    retired: bool = False
    last_delivery_id: int | None = None


class Delivery(SQLModel, table=True):
    """The outbox: one row per nudge, written before any send, updated after each attempt."""

    __table_args__ = (
        UniqueConstraint("person_id", "kind", "period", name="uq_delivery_slot"),
        Index("ix_delivery_due", "status", "due_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    person_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    kind: str = Field(default="nudge", max_length=20)
    period: str = Field(max_length=16)  # the local ISO week of the slot, e.g. 2026-W48
    lesson_id: str = Field(max_length=80, index=True)
    lesson_version: str = Field(max_length=16)
    is_review: bool = False
    # Who it went to, as a group: kept when a person is forgotten, so anonymous statistics stay true.
    role: str = Field(default="", max_length=60)
    team_id: int | None = Field(default=None, foreign_key="team.id", index=True)
    agency: str = Field(default="", max_length=120)
    channel: str = Field(default="email", max_length=10)
    external_ref: str | None = None  # the chat message id (Slack ts, Teams activity id) to update after a reply
    status: str = Field(default=DeliveryStatus.PENDING, max_length=12)
    due_at: datetime = Field(sa_type=UTCDateTime)
    attempts: int = 0
    claimed_by: str | None = Field(default=None, max_length=64)
    claimed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_error: str | None = None
    fallback_reason: str | None = None
    created_at: datetime = Field(sa_type=UTCDateTime)


class DeliveryAttempt(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    delivery_id: int = Field(foreign_key="delivery.id", index=True)
    at: datetime = Field(sa_type=UTCDateTime)
    channel: str = Field(max_length=10)
    outcome: str = Field(max_length=10)  # sent | retry | failed
    detail: str | None = None


class Reply(SQLModel, table=True):
    """At most one reply per delivery: a second answer updates it."""

    id: int | None = Field(default=None, primary_key=True)
    delivery_id: int = Field(foreign_key="delivery.id", unique=True)
    person_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    lesson_id: str = Field(max_length=80, index=True)
    lesson_version: str = Field(max_length=16)
    check_answer: int | None = None
    check_correct: bool | None = None
    practice: str | None = Field(default=None, max_length=16)
    reflection: str | None = None
    rating: int | None = None
    card_before_json: str | None = None  # lets a changed answer re-rate from the same starting point
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class LessonVersion(SQLModel, table=True):
    """Each version of a lesson that was ever planned, so history renders and scores as it was sent."""

    __table_args__ = (UniqueConstraint("lesson_id", "version"),)
    id: int | None = Field(default=None, primary_key=True)
    lesson_id: str = Field(max_length=80)
    version: str = Field(max_length=16)
    content_json: str
    recorded_at: datetime = Field(sa_type=UTCDateTime)


class AuditEvent(SQLModel, table=True):
    """Every admin action and dashboard sign-in: who, what, when. Viewable by admins."""

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(sa_type=UTCDateTime, index=True)
    actor: str = Field(max_length=254)  # an email, or "cli" / "system"
    action: str = Field(max_length=60)
    detail: str = ""


# Slack (issue 4): taps, the Home tab and the slash command find the person by their Slack user id.
Index("ix_person_slack_user_id", Person.slack_user_id)
